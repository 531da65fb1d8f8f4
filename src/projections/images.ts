// rm.images, rm.faces and rm.daily_stats from the image streams.

import type pg from 'pg';
import { upcast } from '../domain/upcast.js';
import type { ImageEvent } from '../domain/images/image-events.js';
import { positionToCursor } from '../eventstore/position.js';
import type { RecordedEvent } from '../eventstore/types.js';
import type { Projection } from './projection.js';
import { streamId } from './stream-id.js';

type Counter = 'uploads' | 'analyses' | 'failures' | 'deletions';

async function bumpStats(tx: pg.ClientBase, imageId: string, at: Date, counter: Counter, faces = 0): Promise<void> {
  await tx.query(
    `insert into rm.daily_stats (day, owner_id, ${counter}, faces)
     select ($2::timestamptz at time zone 'utc')::date, owner_id, 1, $3 from rm.images where image_id = $1
     on conflict (day, owner_id) do update
        set ${counter} = rm.daily_stats.${counter} + 1, faces = rm.daily_stats.faces + excluded.faces`,
    [imageId, at, faces],
  );
}

async function applyOne(tx: pg.ClientBase, recorded: RecordedEvent): Promise<void> {
  const event = upcast(recorded) as ImageEvent;
  const imageId = streamId(recorded.stream, 'image');
  const at = recorded.recordedAt;
  const common = [imageId, at, recorded.revision.toString(), positionToCursor(recorded.position)];
  switch (event.type) {
    case 'ImageUploaded': {
      const d = event.data;
      await tx.query(
        `insert into rm.images (image_id, owner_id, filename, content_type, bytes, width, height, sha256, status,
                                uploaded_at, updated_at, revision, last_position)
         values ($1, $5, $6, $7, $8, $9, $10, $11, 'pending', $2, $2, $3, $4)`,
        [...common, d.ownerId, d.filename, d.contentType, d.bytes, d.width, d.height, d.sha256],
      );
      await bumpStats(tx, imageId, at, 'uploads');
      return;
    }
    case 'ImageAnalysisRequested':
      await tx.query(`update rm.images set status = 'pending', updated_at = $2, revision = $3, last_position = $4 where image_id = $1`, common);
      return;
    case 'ImageAnalyzed': {
      const { model, faces, durationMs } = event.data;
      await tx.query(
        `update rm.images set status = 'analyzed', face_count = $5, model_name = $6, model_version = $7, model_sha256 = $8,
                analysis_ms = $9, analyzed_at = $2, updated_at = $2, last_error_code = null, last_error_message = null,
                revision = $3, last_position = $4
          where image_id = $1`,
        [...common, faces.length, model.name, model.version, model.sha256, Math.round(durationMs)],
      );
      await tx.query('delete from rm.faces where image_id = $1', [imageId]);
      if (faces.length > 0) {
        await tx.query(
          `insert into rm.faces (image_id, face_index, x, y, width, height, score, landmarks, descriptor)
           select $1, (f.ordinality - 1)::int, (f.value->'box'->>'x')::float8, (f.value->'box'->>'y')::float8,
                  (f.value->'box'->>'width')::float8, (f.value->'box'->>'height')::float8, (f.value->>'score')::float8,
                  f.value->'landmarks',
                  array(select jsonb_array_elements_text(f.value->'descriptor')::real)
             from jsonb_array_elements($2::jsonb) with ordinality as f`,
          [imageId, JSON.stringify(faces)],
        );
      }
      await bumpStats(tx, imageId, at, 'analyses', faces.length);
      return;
    }
    case 'ImageAnalysisFailed':
      await tx.query(
        `update rm.images set status = 'failed', last_error_code = $5, last_error_message = $6, updated_at = $2, revision = $3, last_position = $4
          where image_id = $1`,
        [...common, event.data.error.code, event.data.error.message],
      );
      await bumpStats(tx, imageId, at, 'failures');
      return;
    case 'ImageDeleted':
      await tx.query('update rm.images set deleted_at = $2, updated_at = $2, revision = $3, last_position = $4 where image_id = $1', common);
      await tx.query('delete from rm.faces where image_id = $1', [imageId]);
      await bumpStats(tx, imageId, at, 'deletions');
      return;
  }
}

export const imagesProjection: Projection = {
  name: 'images',
  filter: { streamPrefixes: ['image-'] },
  async apply(tx, events) {
    for (const e of events) await applyOne(tx, e);
  },
};
