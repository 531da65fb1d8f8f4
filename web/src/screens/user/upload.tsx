// Upload photos: drop them on the zone or choose them with the file picker (several at once);
// each file shows its progress, then its answer (accepted, with a link and its analysis status as
// it changes live) or the API's problem, with a retry. Without face_analysis consent the screen
// says so and links to the consent screen.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../../api/client.js';
import { describeError, ProblemError } from '../../api/problem.js';
import type { ScreenProps } from '../../screen.js';
import { ErrorNote, Page, useLoad } from '../../ui/kit.js';
import type { ImageSummary } from './images-api.js';
import { isNewer, useMyImages } from './my-images-live.js';
import { StatusBadge } from './status-badge.js';
import { uploadFile, type Accepted } from './upload-request.js';

const ACCEPT = 'image/jpeg,image/png,image/webp';
/** Files sent at once. */
const PARALLEL = 2;

interface Entry {
  n: number;
  file: File;
  /** Idempotency-Key: the same for a retry of this file. */
  key: string;
  phase: 'queued' | 'uploading' | 'accepted' | 'failed';
  progress: number;
  accepted?: Accepted;
  error?: unknown;
  live?: ImageSummary;
}

function ConsentMissing() {
  return (
    <p class="error" role="alert" data-problem="consent_required">
      Face analysis needs your consent first: <a href="#/consent">give it on the consent screen</a>, then upload.
    </p>
  );
}

function Problem(props: { error: unknown }) {
  if (props.error instanceof ProblemError && props.error.code === 'consent_required') return <ConsentMissing />;
  return <span class="error-text">{describeError(props.error)}</span>;
}

export function UploadScreen(_props: ScreenProps) {
  const consents = useLoad(() => get<{ consents: { purpose: string; current: boolean }[] }>('/v1/me/consents'), []);
  const consentMissing = consents.data !== undefined && !consents.data.consents.some((c) => c.purpose === 'face_analysis' && c.current);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [dragging, setDragging] = useState(false);
  const counter = useRef(0);
  const running = useRef(0);
  const input = useRef<HTMLInputElement>(null);

  const patch = useCallback((n: number, change: Partial<Entry>) => setEntries((es) => es.map((e) => (e.n === n ? { ...e, ...change } : e))), []);

  useMyImages(
    useCallback((image: ImageSummary) => {
      setEntries((es) => (es.some((e) => e.accepted?.imageId === image.imageId && isNewer(image, e.live)) ? es.map((e) => (e.accepted?.imageId === image.imageId ? { ...e, live: image } : e)) : es));
    }, []),
  );

  // Starts queued files while fewer than PARALLEL are on their way.
  useEffect(() => {
    for (const entry of entries) {
      if (running.current >= PARALLEL) break;
      if (entry.phase !== 'queued') continue;
      running.current++;
      patch(entry.n, { phase: 'uploading', progress: 0, error: undefined });
      uploadFile(entry.file, entry.key, (progress) => patch(entry.n, { progress }))
        .then(
          (accepted) => patch(entry.n, { phase: 'accepted', accepted, progress: 1 }),
          (error: unknown) => patch(entry.n, { phase: 'failed', error }),
        )
        .finally(() => {
          running.current--;
          setEntries((es) => [...es]);
        });
    }
  }, [entries, patch]);

  const add = (files: FileList | null | undefined) => {
    if (!files || files.length === 0) return;
    const added = [...files].map((file): Entry => ({ n: ++counter.current, file, key: crypto.randomUUID(), phase: 'queued', progress: 0 }));
    setEntries((es) => [...es, ...added]);
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    add(e.dataTransfer?.files);
  };

  return (
    <Page title="Upload">
      <ErrorNote error={consents.error} />
      {consentMissing ? <ConsentMissing /> : null}
      <div
        class={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-dropzone
      >
        <p>Drop JPEG, PNG or WebP photos here, or</p>
        <label for="upload-files" class="button">
          Choose photos
        </label>
        <input
          id="upload-files"
          ref={input}
          class="file-input visually-hidden"
          type="file"
          multiple
          accept={ACCEPT}
          onChange={(e) => {
            add(e.currentTarget.files);
            e.currentTarget.value = '';
          }}
        />
      </div>
      {entries.length > 0 ? (
        <>
          <h2>This session's uploads</h2>
          <ul class="uploads" aria-live="polite">
            {entries.map((e) => (
              <li key={e.n} class="card upload" data-upload={e.phase} data-filename={e.file.name}>
                <span class="filename">{e.accepted ? <a href={`#/images/${e.accepted.imageId}`}>{e.file.name}</a> : e.file.name}</span>
                <progress max={1} value={e.progress} aria-label={`Upload of ${e.file.name}`} />
                <span class="upload-result">
                  {e.phase === 'queued' ? 'waiting…' : null}
                  {e.phase === 'uploading' ? `${Math.round(e.progress * 100)} %` : null}
                  {e.phase === 'accepted' && e.accepted ? (
                    <>
                      uploaded <StatusBadge image={e.live ?? { status: 'pending', faceCount: null, error: null }} />
                    </>
                  ) : null}
                  {e.phase === 'failed' ? (
                    <>
                      <Problem error={e.error} />{' '}
                      <button type="button" class="link" onClick={() => patch(e.n, { phase: 'queued', progress: 0 })}>
                        Try {e.file.name} again
                      </button>
                    </>
                  ) : null}
                </span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </Page>
  );
}
