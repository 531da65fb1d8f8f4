// Time travel: an image or a user as it was at a point in the past (a position cursor or a
// time), folded straight from its event stream; no read model is involved. The folds mirror the
// images and users projections, so the view at the newest point equals the current read (except
// descriptors, which the current read answers as float32 (real) and the events keep as float64).
//
// "At a point" means the longest prefix of the stream (in revision order) whose events are all at
// or before it: a stream's state is always a prefix of its history, never one with a hole.

import type { Role } from '../domain/identity/roles.js';
import type { Viewer } from '../domain/identity/viewer.js';
import { maySeeImage } from '../domain/images/visibility.js';
import { userStream, type UserEvent } from '../domain/identity/user-events.js';
import { imageStream, type FaceRecord, type ImageEvent } from '../domain/images/image-events.js';
import { upcast } from '../domain/upcast.js';
import { comparePositions, cursorToPosition, type Position } from '../eventstore/position.js';
import type { EventStore, RecordedEvent } from '../eventstore/types.js';
import type { FaceView, ImageView } from './images/images-query.js';
import type { UserView } from './identity/users-query.js';

/** A point in the past: every event at or before a log position, or recorded at or before a time. */
export type AsOf = { kind: 'position'; position: Position } | { kind: 'time'; time: Date };

export class InvalidAsOfError extends Error {
  readonly code = 'invalid_as_of';
  constructor(readonly value: string) {
    super(`'${value.slice(0, 64)}' is neither a position cursor nor an ISO 8601 date-time with a time zone (e.g. 2025-01-31T12:00:00Z)`);
    this.name = 'InvalidAsOfError';
  }
}

const CURSOR_SHAPE = /^[0-9]+-[0-9]+$/;
// RFC 3339 date-time; the offset is required (a local time would mean a different instant on every
// server). A space stands for '+' in the offset: an unencoded '+' in a query string arrives as one.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+\- ])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Parses `asOf`: a position cursor (`<commit>-<prepare>`) or an ISO 8601 date-time with an offset. */
export function parseAsOf(value: string): AsOf {
  if (value.length > 64) throw new InvalidAsOfError(value);
  if (CURSOR_SHAPE.test(value)) {
    try {
      return { kind: 'position', position: cursorToPosition(value) };
    } catch {
      throw new InvalidAsOfError(value);
    }
  }
  const m = DATE_TIME.exec(value);
  if (!m) throw new InvalidAsOfError(value);
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offsetSign = m[9] === '-' ? -1 : 1;
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    throw new InvalidAsOfError(value);
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const at = new Date(local);
  at.setUTCFullYear(year);
  const time = at.getTime() - offsetSign * (offsetHours * 60 + offsetMinutes) * 60_000;
  if (!Number.isFinite(time)) throw new InvalidAsOfError(value);
  return { kind: 'time', time: new Date(time) };
}

/** Whether one event is at or before the point (times compare at millisecond precision). */
export function isAtOrBefore(event: Pick<RecordedEvent, 'position' | 'recordedAt'>, asOf: AsOf): boolean {
  return asOf.kind === 'position' ? comparePositions(event.position, asOf.position) <= 0 : event.recordedAt.getTime() <= asOf.time.getTime();
}

/** The longest prefix of a stream's events (in revision order) that is at or before the point. */
export function prefixAsOf<T extends Pick<RecordedEvent, 'position' | 'recordedAt'>>(events: readonly T[], asOf: AsOf): T[] {
  const end = events.findIndex((e) => !isAtOrBefore(e, asOf));
  return end === -1 ? [...events] : events.slice(0, end);
}

// ---------------------------------------------------------------------------------------------
// Images

export interface ImageSnapshot {
  image: ImageView;
  /** The latest analysis's faces, descriptors included (empty once deleted). */
  faces: FaceRecord[];
  deleted: boolean;
  /** Revision of the last event folded. */
  revision: bigint;
}

/** Folds an image stream (or a prefix of it) into the view the images read model would hold. */
export function foldImage(events: readonly RecordedEvent[]): ImageSnapshot | undefined {
  let snap: ImageSnapshot | undefined;
  for (const recorded of events) {
    const event = upcast(recorded) as ImageEvent;
    const at = recorded.recordedAt.toISOString();
    if (event.type === 'ImageUploaded') {
      if (snap) continue; // cannot happen: the decider refuses a second upload
      const d = event.data;
      snap = {
        image: {
          imageId: d.imageId,
          ownerId: d.ownerId,
          filename: d.filename,
          contentType: d.contentType,
          bytes: d.bytes,
          width: d.width,
          height: d.height,
          sha256: d.sha256,
          status: 'pending',
          faceCount: null,
          model: null,
          analysisMs: null,
          error: null,
          uploadedAt: at,
          analyzedAt: null,
          updatedAt: at,
        },
        faces: [],
        deleted: false,
        revision: recorded.revision,
      };
      continue;
    }
    if (!snap) continue; // nothing before the upload can shape an image
    const image = { ...snap.image, updatedAt: at };
    switch (event.type) {
      case 'ImageAnalysisRequested':
        // Like the read model: pending again, the previous analysis's faces stay until the new one.
        snap = { ...snap, image: { ...image, status: 'pending' } };
        break;
      case 'ImageAnalyzed': {
        const { model, faces, durationMs } = event.data;
        snap = {
          ...snap,
          image: { ...image, status: 'analyzed', faceCount: faces.length, model: { ...model }, analysisMs: Math.round(durationMs), analyzedAt: at, error: null },
          faces,
        };
        break;
      }
      case 'ImageAnalysisFailed':
        snap = { ...snap, image: { ...image, status: 'failed', error: { ...event.data.error } } };
        break;
      case 'ImageDeleted':
        snap = { ...snap, image, faces: [], deleted: true };
        break;
    }
    snap.revision = recorded.revision;
  }
  return snap;
}

/**
 * The image visibility rule (domain/images/visibility.ts) applied to the whole history, judged on
 * the image as it is now: an image its owner deleted stays hidden from them at every point, also
 * before the deletion; admins and auditors see every image at every point.
 */
export function imageVisibleTo(viewer: Viewer, current: Pick<ImageSnapshot, 'image' | 'deleted'>): boolean {
  return maySeeImage(viewer, { ownerId: current.image.ownerId, deleted: current.deleted });
}

/** The REST shape of a snapshot: the current read's fields plus faces. */
export function imageResponse(snap: ImageSnapshot, includeDescriptor: boolean): ImageView & { faces: FaceView[] } {
  return {
    ...snap.image,
    faces: snap.faces.map((f) => ({
      box: { x: f.box.x, y: f.box.y, width: f.box.width, height: f.box.height },
      score: f.score,
      landmarks: f.landmarks,
      ...(includeDescriptor ? { descriptor: f.descriptor } : {}),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Users

export interface UserSnapshot {
  user: UserView;
  revision: bigint;
}

/** Folds a user stream (or a prefix of it) into the view rm.users would hold. */
export function foldUser(events: readonly RecordedEvent[]): UserSnapshot | undefined {
  let snap: UserSnapshot | undefined;
  for (const recorded of events) {
    const event = upcast(recorded) as UserEvent;
    const at = recorded.recordedAt.toISOString();
    if (event.type === 'UserRegistered') {
      if (snap) continue;
      const d = event.data;
      snap = {
        user: { userId: d.userId, email: d.email, displayName: d.displayName, role: d.role, status: 'active', createdAt: at, updatedAt: at },
        revision: recorded.revision,
      };
      continue;
    }
    if (!snap) continue;
    const user = { ...snap.user, updatedAt: at };
    switch (event.type) {
      case 'UserRoleChanged':
        snap = { user: { ...user, role: event.data.role satisfies Role }, revision: recorded.revision };
        break;
      case 'UserPasswordChanged':
        snap = { user, revision: recorded.revision };
        break;
      case 'UserDeactivated':
        snap = { user: { ...user, status: 'deactivated' }, revision: recorded.revision };
        break;
    }
  }
  return snap;
}

// ---------------------------------------------------------------------------------------------
// Loader over the EventStore port

async function readAll(store: EventStore, stream: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readStream(stream)) out.push(e);
  return out;
}

export class TimeTravel {
  constructor(private readonly store: EventStore) {}

  /**
   * The image as `viewer` may see it at `asOf`; undefined (404) when the viewer may not see it,
   * it did not exist yet, or it was deleted by then.
   */
  async image(viewer: Viewer, imageId: string, asOf: AsOf): Promise<ImageSnapshot | undefined> {
    // The whole stream: who owns the image and whether it is deleted now decide visibility.
    const events = await readAll(this.store, imageStream(imageId));
    const current = foldImage(events);
    if (!current || !imageVisibleTo(viewer, current)) return undefined;
    const then = foldImage(prefixAsOf(events, asOf));
    return then && !then.deleted ? then : undefined;
  }

  /** The user at `asOf` (who may ask is the route's business); undefined before registration. */
  async user(userId: string, asOf: AsOf): Promise<UserSnapshot | undefined> {
    const events: RecordedEvent[] = [];
    for await (const e of this.store.readStream(userStream(userId))) {
      if (!isAtOrBefore(e, asOf)) break;
      events.push(e);
    }
    return foldUser(events);
  }
}
