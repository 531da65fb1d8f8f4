// Which events of an audit response hold biometric content: an ImageAnalyzed whose faces are
// opened (not erased, not left out) and not empty. Their images' owners are the subjects of the
// access record the response needs.

import type { AccessedSubject } from '../../domain/access/access-events.js';
import type { ImageOwners } from './image-owners.js';

interface EventLike {
  stream: string;
  type: string;
  data: unknown;
}

/** The image id of each event of `events` that shows faces. */
export function imagesWithFaces(events: Iterable<EventLike>): string[] {
  const ids: string[] = [];
  for (const e of events) {
    if (e.type !== 'ImageAnalyzed' || !e.stream.startsWith('image-')) continue;
    const faces = (e.data as { faces?: unknown } | null)?.faces;
    if (Array.isArray(faces) && faces.length > 0) ids.push(e.stream.slice('image-'.length));
  }
  return ids;
}

/** The subjects (owners) of those images, grouped. */
export async function subjectsOfEvents(owners: ImageOwners, events: Iterable<EventLike>): Promise<AccessedSubject[]> {
  const ids = imagesWithFaces(events);
  if (ids.length === 0) return [];
  const byImage = await owners.of(ids);
  const bySubject = new Map<string, string[]>();
  for (const id of new Set(ids)) {
    const owner = byImage.get(id);
    // An image with no recorded upload has no subject to name; the record still names the image.
    const subject = owner ?? '00000000-0000-0000-0000-000000000000';
    const list = bySubject.get(subject) ?? [];
    list.push(id);
    bySubject.set(subject, list);
  }
  return [...bySubject].map(([subjectId, imageIds]) => ({ subjectId, imageIds }));
}
