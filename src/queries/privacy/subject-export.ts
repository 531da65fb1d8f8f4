// Subject access (GDPR Art. 15 and 20; issue 15 item 7): everything the system holds about one
// user, opened, as one JSON document produced piece by piece. The lists come from the read models
// (the user's sessions and images, deleted ones included), the content from the log through the
// sealing store, so personal fields are opened and an erased one reads as {"$erased": true}.
// The images are those of the read model and of the key store (an erased image has left the read
// model, its stream keeps the facts). Memory and work per piece are bounded: one page of rows, one
// image's stream, one event.
//
// Document (format facetrail-subject-export/v1):
//   {format, subjectId, exportedAt,
//    account: {userId, email, displayName, role, status, registeredAt, consents: [...]},
//    sessions: [{familyId, status, startedAt, expiresAt, rotations, revokedAt, revokedReason}],
//    images: [{imageId, filename, contentType, bytes, width, height, sha256, status, uploadedAt,
//              deletedAt, erased, contentUrl, analysisRequests: [...], analyses: [{requestId, model, faceCount,
//              durationMs, analyzedAt, position, faces: [{box, score, landmarks, descriptor}]}],
//              failures: [...]}],
//    events: [{stream, revision, position, id, type, recordedAt, data, metadata}]}
// Faces are as the log holds them (descriptors as recorded, float64); events of the user's own
// streams: user-<id>, session-<family> for each session, image-<id> for each image.

import type pg from 'pg';
import { positionToCursor } from '../../eventstore/position.js';
import type { EventStore, RecordedEvent } from '../../eventstore/types.js';
import { isErased } from '../../privacy/declarations.js';

export const SUBJECT_EXPORT_FORMAT = 'facetrail-subject-export/v1';

/** Rows read per query (sessions, images). */
const PAGE = 100;

type Json = Record<string, unknown>;

interface ConsentState {
  purpose: string;
  given: boolean;
  policyVersion: string | null;
  textSha256: string | null;
  givenAt: string | null;
  withdrawnAt: string | null;
  withdrawals: number;
}

interface SessionRow {
  family_id: string;
  status: string;
  started_at: Date;
  expires_at: Date;
  rotations: number;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

interface ImageRow {
  image_id: string;
  /** Null: not in the read model (erased). */
  status: string | null;
  deleted_at: Date | null;
}

export class SubjectExport {
  constructor(
    private readonly pool: pg.Pool,
    /** The runtime's (sealing) store: what it reads is opened. */
    private readonly store: Pick<EventStore, 'readStream'>,
  ) {}

  /** Whether there is anything to export for `subjectId` (the user stream exists). */
  async exists(subjectId: string): Promise<boolean> {
    for await (const _ of this.store.readStream(userStreamOf(subjectId), { maxCount: 1 })) return true;
    return false;
  }

  /** The document, in pieces (each a valid continuation of the JSON text). */
  async *document(subjectId: string, now: Date = new Date()): AsyncGenerator<string> {
    yield `{"format":${JSON.stringify(SUBJECT_EXPORT_FORMAT)},"subjectId":${JSON.stringify(subjectId)},"exportedAt":${JSON.stringify(now.toISOString())},`;
    yield `"account":${JSON.stringify(await this.account(subjectId))},`;

    yield '"sessions":[';
    let first = true;
    for await (const page of this.sessionPages(subjectId)) {
      for (const s of page) {
        yield (first ? '' : ',') + JSON.stringify(sessionView(s));
        first = false;
      }
    }
    yield '],"images":[';
    first = true;
    for await (const page of this.imagePages(subjectId)) {
      for (const row of page) {
        const image = await this.image(row);
        if (!image) continue;
        yield (first ? '' : ',') + JSON.stringify(image);
        first = false;
      }
    }
    yield '],"events":[';
    first = true;
    for await (const stream of this.streams(subjectId)) {
      for await (const event of this.store.readStream(stream)) {
        yield (first ? '' : ',') + JSON.stringify(eventView(event));
        first = false;
      }
    }
    yield ']}';
  }

  private async account(subjectId: string): Promise<Json> {
    const account: Json = { userId: subjectId, email: null, displayName: null, role: null, status: 'none', registeredAt: null, erasedAt: null };
    const consents = new Map<string, ConsentState>();
    for await (const e of this.store.readStream(userStreamOf(subjectId))) {
      const d = (e.data ?? {}) as Json;
      switch (e.type) {
        case 'UserRegistered':
          Object.assign(account, { email: d.email ?? null, displayName: d.displayName ?? null, role: d.role ?? null, status: 'active', registeredAt: e.recordedAt.toISOString() });
          break;
        case 'UserRoleChanged':
          account.role = d.role ?? account.role;
          break;
        case 'UserDeactivated':
          account.status = 'deactivated';
          break;
        case 'UserErased':
          Object.assign(account, { status: 'erased', erasedAt: e.recordedAt.toISOString() });
          break;
        case 'ConsentGiven':
        case 'ConsentWithdrawn': {
          const purpose = String(d.purpose);
          const c = consents.get(purpose) ?? { purpose, given: false, policyVersion: null, textSha256: null, givenAt: null, withdrawnAt: null, withdrawals: 0 };
          if (e.type === 'ConsentGiven') Object.assign(c, { given: true, policyVersion: d.policyVersion ?? null, textSha256: d.textSha256 ?? null, givenAt: e.recordedAt.toISOString() });
          else Object.assign(c, { given: false, withdrawnAt: e.recordedAt.toISOString(), withdrawals: c.withdrawals + 1 });
          consents.set(purpose, c);
          break;
        }
        default:
          break;
      }
    }
    return { ...account, consents: [...consents.values()] };
  }

  private async *sessionPages(subjectId: string): AsyncGenerator<SessionRow[]> {
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const { rows } = await this.pool.query<SessionRow>(
        `select family_id::text, status, started_at, expires_at, rotations, revoked_at, revoked_reason
           from rm.sessions where user_id = $1 and family_id > $2::uuid order by family_id limit $3`,
        [subjectId, after, PAGE],
      );
      if (rows.length > 0) yield rows;
      if (rows.length < PAGE) return;
      after = rows.at(-1)!.family_id;
    }
  }

  /**
   * The user's images: every one in the read model (deleted ones included) and every one the key
   * store knows of (an erased image has left the read model; its stream still holds the facts).
   */
  private async *imagePages(subjectId: string): AsyncGenerator<ImageRow[]> {
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const { rows } = await this.pool.query<ImageRow>(
        `select image_id::text, i.status, i.deleted_at
           from (select image_id, status, deleted_at from rm.images where owner_id = $1 and image_id > $2::uuid) i
           full join (select image_id from keys.images where subject_id = $1 and image_id > $2::uuid) k using (image_id)
          order by image_id limit $3`,
        [subjectId, after, PAGE],
      );
      if (rows.length > 0) yield rows;
      if (rows.length < PAGE) return;
      after = rows.at(-1)!.image_id;
    }
  }

  private async *streams(subjectId: string): AsyncGenerator<string> {
    yield userStreamOf(subjectId);
    for await (const page of this.sessionPages(subjectId)) for (const s of page) yield `session-${s.family_id}`;
    for await (const page of this.imagePages(subjectId)) for (const i of page) yield `image-${i.image_id}`;
  }

  /** One image from its stream (opened): what was uploaded, every analysis with its faces; undefined when it has no stream. */
  private async image(row: ImageRow): Promise<Json | undefined> {
    const image: Json = {
      imageId: row.image_id,
      filename: null,
      contentType: null,
      bytes: null,
      width: null,
      height: null,
      sha256: null,
      status: row.status,
      uploadedAt: null,
      deletedAt: row.deleted_at?.toISOString() ?? null,
      erased: false,
      /** The bytes themselves, for the owner (not inlined in the document). */
      contentUrl: `/v1/images/${row.image_id}/content`,
    };
    const requests: Json[] = [];
    const analyses: Json[] = [];
    const failures: Json[] = [];
    let recorded = false;
    for await (const e of this.store.readStream(`image-${row.image_id}`)) {
      recorded = true;
      const d = (e.data ?? {}) as Json;
      switch (e.type) {
        case 'ImageUploaded':
          Object.assign(image, { uploadedAt: e.recordedAt.toISOString(), filename: d.filename ?? null, contentType: d.contentType ?? null, bytes: d.bytes ?? null, width: d.width ?? null, height: d.height ?? null, sha256: d.sha256 ?? null });
          break;
        case 'ImageAnalysisRequested':
          requests.push({ requestId: e.id, model: d.model ?? null, reason: d.reason ?? null, requestedAt: e.recordedAt.toISOString() });
          break;
        case 'ImageAnalyzed': {
          const faces = d.faces;
          analyses.push({
            requestId: d.requestId ?? null,
            model: d.model ?? null,
            faceCount: typeof d.faceCount === 'number' ? d.faceCount : Array.isArray(faces) ? faces.length : null,
            durationMs: d.durationMs ?? null,
            analyzedAt: e.recordedAt.toISOString(),
            position: positionToCursor(e.position),
            faces: isErased(faces) || Array.isArray(faces) ? faces : null,
          });
          break;
        }
        case 'ImageAnalysisFailed':
          failures.push({ requestId: d.requestId ?? null, model: d.model ?? null, error: d.error ?? null, attempts: d.attempts ?? null, failedAt: e.recordedAt.toISOString() });
          break;
        case 'ImageDeleted':
          image.deletedAt ??= e.recordedAt.toISOString();
          break;
        case 'ImageErased':
          Object.assign(image, { erased: true, status: image.status ?? 'erased' });
          break;
        default:
          break;
      }
    }
    if (!recorded) return undefined; // a key made for an upload that was never recorded
    return { ...image, analysisRequests: requests, analyses, failures };
  }
}

function userStreamOf(subjectId: string): string {
  return `user-${subjectId}`;
}

function sessionView(s: SessionRow): Json {
  return {
    familyId: s.family_id,
    status: s.status,
    startedAt: s.started_at.toISOString(),
    expiresAt: s.expires_at.toISOString(),
    rotations: s.rotations,
    revokedAt: s.revoked_at?.toISOString() ?? null,
    revokedReason: s.revoked_reason,
  };
}

function eventView(e: RecordedEvent): Json {
  return {
    stream: e.stream,
    revision: e.revision.toString(),
    position: positionToCursor(e.position),
    id: e.id,
    type: e.type,
    recordedAt: e.recordedAt.toISOString(),
    data: e.data,
    metadata: e.metadata,
  };
}
