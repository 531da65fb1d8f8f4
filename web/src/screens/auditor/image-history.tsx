// One image's history (/audit/images/<id>): the positions of its stream (GET
// /v1/audit/streams/image-<id>) on a slider, and at each what the system showed then (GET
// /v1/images/<id>?asOf=<position>): status, faces, model, and the boxes over the picture. A
// re-analysed image shows each analysis at its own position.

import { useState } from 'preact/hooks';
import { ProblemError } from '../../api/problem.js';
import type { ScreenProps } from '../../screen.js';
import { ErrorNote, Page, Spinner, useLoad } from '../../ui/kit.js';
import { imageAsOf, streamHistory, type AuditEvent, type ImageThen } from './audit-api.js';
import { FaceOverlay } from './face-overlay.js';
import { usePicture } from './picture.js';
import { formatInstant } from './time.js';

export function ImageHistoryScreen(props: ScreenProps) {
  const imageId = props.params['imageId'] ?? '';
  return <ImageHistory key={imageId} imageId={imageId} />;
}

function ImageHistory(props: { imageId: string }) {
  const { imageId } = props;
  const history = useLoad((signal) => streamHistory(`image-${imageId}`, signal), [imageId]);
  const picture = usePicture(imageId);
  const [chosen, setChosen] = useState<number | undefined>();
  const events = history.data ?? [];
  const index = Math.min(chosen ?? events.length - 1, events.length - 1);
  const event = events[index];

  return (
    <Page
      title="Image history"
      actions={
        <button type="button" class="secondary" onClick={history.reload}>
          Reload history
        </button>
      }
    >
      <p>
        Image <code>{imageId}</code>
      </p>
      <ErrorNote error={history.error} />
      {history.loading && !history.data ? <Spinner label="Loading the image's history…" /> : null}
      {event ? (
        <>
          <div class="field au-history-slider">
            <label for="history-position">Position in the image's history</label>
            <input
              id="history-position"
              type="range"
              min={0}
              max={events.length - 1}
              step={1}
              value={index}
              aria-describedby="history-position-now"
              aria-valuetext={`${index + 1} of ${events.length}: ${event.type}, ${formatInstant(event.recordedAt)}`}
              onInput={(e) => setChosen(Number(e.currentTarget.value))}
            />
            <small id="history-position-now" class="hint">
              {index + 1} of {events.length}: revision {event.revision}, {event.type}, {formatInstant(event.recordedAt)}
            </small>
          </div>
          <div class="au-history-body">
            <Steps events={events} index={index} onChoose={setChosen} />
            <Then imageId={imageId} event={event} pictureUrl={picture.url} pictureError={picture.error} />
          </div>
        </>
      ) : null}
    </Page>
  );
}

function Steps(props: { events: AuditEvent[]; index: number; onChoose: (i: number) => void }) {
  return (
    <ol class="au-steps" aria-label="Positions of the image's stream">
      {props.events.map((e, i) => (
        <li key={e.id}>
          <button type="button" class={i === props.index ? 'au-step au-current' : 'au-step secondary'} aria-current={i === props.index ? 'step' : undefined} onClick={() => props.onChoose(i)}>
            {e.revision}. {e.type}
            <small> {formatInstant(e.recordedAt)}</small>
          </button>
        </li>
      ))}
    </ol>
  );
}

/** The image as of `event`'s position; null when it was not visible then (deleted). */
function Then(props: { imageId: string; event: AuditEvent; pictureUrl: string | undefined; pictureError: unknown }) {
  const { event } = props;
  const then = useLoad(
    (signal) =>
      imageAsOf(props.imageId, event.position, signal).catch((err: unknown) => {
        if (err instanceof ProblemError && err.code === 'image_not_found') return null;
        throw err;
      }),
    [event.position],
  );
  const image: ImageThen | null | undefined = then.loading ? undefined : then.data;
  return (
    <section class="au-then card" aria-labelledby="then-title" data-revision={event.revision} data-status={image?.status ?? ''} aria-busy={then.loading}>
      <h2 id="then-title">
        As of revision {event.revision} ({event.type})
      </h2>
      <ErrorNote error={then.error} />
      {then.loading ? <Spinner label="Reading the image as it was…" /> : null}
      {image === null ? <p>At this position the image was deleted: the system showed nothing.</p> : null}
      {image ? (
        <>
          <dl class="au-facts">
            <dt>Status</dt>
            <dd data-fact="status">{image.status}</dd>
            <dt>Faces</dt>
            <dd data-fact="faces">{image.faceCount === null ? 'not analysed yet' : image.faceCount}</dd>
            <dt>Model</dt>
            <dd data-fact="model">{image.model ? `${image.model.name} ${image.model.version} (${image.model.sha256.slice(0, 12)}…)` : 'none'}</dd>
            <dt>Analysed at</dt>
            <dd data-fact="analyzedAt" data-analyzed-at={image.analyzedAt ?? undefined}>{image.analyzedAt ? formatInstant(image.analyzedAt) : '—'}</dd>
            {image.error ? (
              <>
                <dt>Error</dt>
                <dd>
                  {image.error.message} ({image.error.code})
                </dd>
              </>
            ) : null}
            <dt>Position</dt>
            <dd>
              <code>{event.position}</code>
            </dd>
          </dl>
          {props.pictureError ? <p class="muted">The picture itself cannot be shown now ({props.pictureError instanceof ProblemError ? props.pictureError.code : 'error'}); the boxes are drawn on an empty frame.</p> : null}
          <FaceOverlay
            url={props.pictureUrl}
            width={image.width}
            height={image.height}
            faces={image.faces}
            caption={image.faces.length === 0 ? 'No face boxes at this position.' : `${image.faces.length} face ${image.faces.length === 1 ? 'box' : 'boxes'} as analysed then.`}
          />
        </>
      ) : null}
    </section>
  );
}
