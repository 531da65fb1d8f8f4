// The sample photos (support/sample-photos.ts) with their dimensions, and helpers to upload them
// through ImageService (not over HTTP) and read an image's stream.

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { CommandContext } from '../../src/commands/context.js';
import type { ImageService } from '../../src/commands/images/image-service.js';
import { imageStream } from '../../src/domain/images/image-events.js';
import type { EventStore, RecordedEvent } from '../../src/eventstore/types.js';
import { SAMPLE_DIR } from '../../support/sample-photos.js';
import { consentingOwner } from './consent.js';

export interface Sample {
  name: string;
  data: Buffer;
  width: number;
  height: number;
}

export async function readSample(name: string): Promise<Sample> {
  const data = await readFile(path.join(SAMPLE_DIR, name));
  const meta = await sharp(data).metadata();
  return { name, data, width: meta.width, height: meta.height };
}

export function userContext(userId: string): CommandContext {
  return { actor: { id: userId, kind: 'user', role: 'user' }, correlationId: randomUUID() };
}

/**
 * Uploads the bytes (stored as a blob first, as the API does) as `ownerId` (default: a new user),
 * who is given face_analysis consent first (an upload without it is refused).
 */
export async function uploadSample(ground: { images: ImageService; store: EventStore }, sample: Sample, ownerId: string = randomUUID(), data: Buffer = sample.data) {
  await consentingOwner(ground.store, ownerId);
  return ground.images.upload({ ownerId, filename: sample.name, contentType: 'image/jpeg', data, width: sample.width, height: sample.height }, userContext(ownerId));
}

export async function imageEvents(store: EventStore, imageId: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readStream(imageStream(imageId))) out.push(e);
  return out;
}

export const ofType = (events: RecordedEvent[], type: string) => events.filter((e) => e.type === type);
