// One photo: the picture with its faces drawn over it (boxes and 68 landmarks; a checkbox shows
// or hides them), the score and person of the face under the pointer or focus, a table of the
// faces, and deletion (with a confirmation; the gallery then shows what the API answered).
// While the analysis is pending, the screen follows the image live and redraws when it lands.

import { useCallback, useEffect, useState } from 'preact/hooks';
import { navigate } from '../../router.js';
import type { ScreenProps } from '../../screen.js';
import { ErrorNote, Page, Spinner, useLoad } from '../../ui/kit.js';
import { facePeople, type PersonRef } from './face-people.js';
import { FaceOverlay, personLabel } from './face-overlay.js';
import { leaveDeleted } from './flash.js';
import { deleteImage, imageBlobUrl, imageWithFaces, type ImageSummary } from './images-api.js';
import { useMyImages } from './my-images-live.js';
import { StatusBadge } from './status-badge.js';

const NO_PEOPLE = new Map<string, PersonRef>();

function usePicture(imageId: string): { url: string | undefined; error: unknown } {
  const [state, setState] = useState<{ url: string | undefined; error: unknown }>({ url: undefined, error: undefined });
  useEffect(() => {
    const ac = new AbortController();
    let made: string | undefined;
    imageBlobUrl(imageId, 'content', ac.signal).then(
      (url) => {
        if (ac.signal.aborted) return URL.revokeObjectURL(url);
        made = url;
        setState({ url, error: undefined });
      },
      (error: unknown) => !ac.signal.aborted && setState({ url: undefined, error }),
    );
    return () => {
      ac.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [imageId]);
  return state;
}

export function ImageScreen(props: ScreenProps) {
  const imageId = props.params['imageId'] ?? '';
  const image = useLoad((signal) => imageWithFaces(imageId, signal), [imageId]);
  const picture = usePicture(imageId);
  const hasFaces = (image.data?.faces.length ?? 0) > 0;
  const people = useLoad(() => (hasFaces ? facePeople() : Promise.resolve(undefined)), [hasFaces]);
  const [overlay, setOverlay] = useState(true);
  const [active, setActive] = useState<number>();
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<unknown>();

  const { reload } = image;
  const current = image.data;
  useMyImages(
    useCallback(
      (live: ImageSummary) => {
        if (live.imageId === imageId && (!current || live.updatedAt > current.updatedAt)) reload();
      },
      [imageId, current, reload],
    ),
  );

  const remove = async () => {
    setDeleting(true);
    setDeleteError(undefined);
    try {
      const answer = await deleteImage(imageId);
      leaveDeleted({ filename: current?.filename ?? imageId, answer });
      navigate('/gallery');
    } catch (err) {
      setDeleteError(err);
      setDeleting(false);
    }
  };

  const byFace = people.data?.byFace ?? NO_PEOPLE;
  const activeFace = active === undefined ? undefined : current?.faces[active];

  return (
    <Page
      title={current ? current.filename : 'Photo'}
      actions={
        <a class="button secondary" href="#/gallery">
          Back to the gallery
        </a>
      }
    >
      <ErrorNote error={image.error ?? picture.error} />
      {!current ? (
        image.error ? null : <Spinner label="Loading the photo…" />
      ) : (
        <>
          <p class="image-facts">
            <StatusBadge image={current} /> {current.width} × {current.height} px{current.model ? `, ${current.model.name} ${current.model.version}` : ''}
          </p>
          <div class="controls">
            <label>
              <input type="checkbox" checked={overlay} onChange={(e) => setOverlay(e.currentTarget.checked)} /> Show the face overlay
            </label>
            <p class="active-face" aria-live="polite" data-active-face={active ?? ''}>
              {activeFace && active !== undefined
                ? `Face ${active + 1}: score ${activeFace.score.toFixed(3)}, ${personLabel(byFace.get(activeFace.faceId))}`
                : hasFaces
                  ? 'Point at or focus (Tab) a face to see its score and person.'
                  : current.status === 'analyzed'
                    ? 'No faces found.'
                    : ''}
            </p>
          </div>
          <div class="figure" style={{ aspectRatio: `${current.width} / ${current.height}`, maxWidth: `min(100%, ${current.width}px, calc(75vh * ${(current.width / current.height).toFixed(4)}))` }}>
            {picture.url ? <img src={picture.url} alt={current.filename} /> : <Spinner label="Loading the picture…" />}
            {overlay && hasFaces ? <FaceOverlay width={current.width} height={current.height} faces={current.faces} people={byFace} active={active} onActive={setActive} /> : null}
          </div>
          {people.data && !people.data.consent ? (
            <p class="muted">
              People are shown with face recognition consent: <a href="#/consent">consent screen</a>.
            </p>
          ) : null}
          <ErrorNote error={people.error} />
          {hasFaces ? (
            <table class="faces">
              <caption>Faces</caption>
              <thead>
                <tr>
                  <th scope="col">Face</th>
                  <th scope="col">Score</th>
                  <th scope="col">Person</th>
                  <th scope="col">Box (x, y, width, height)</th>
                </tr>
              </thead>
              <tbody>
                {current.faces.map((f, i) => (
                  <tr key={f.faceId} class={active === i ? 'active' : undefined}>
                    <td>{i + 1}</td>
                    <td>{f.score.toFixed(3)}</td>
                    <td>{personLabel(byFace.get(f.faceId))}</td>
                    <td>{[f.box.x, f.box.y, f.box.width, f.box.height].map((v) => Math.round(v)).join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          <section class="danger-zone" aria-labelledby="delete-heading">
            <h2 id="delete-heading">Delete</h2>
            <ErrorNote error={deleteError} />
            {!confirming ? (
              <button type="button" class="danger" onClick={() => setConfirming(true)}>
                Delete this photo
              </button>
            ) : (
              <div class="confirm" role="group" aria-label="Confirm the deletion">
                <p>
                  Delete <strong>{current.filename}</strong>? Its faces, filename and bytes are erased for good (the log keeps that it existed).
                </p>
                <button type="button" class="danger" disabled={deleting} onClick={() => void remove()}>
                  {deleting ? 'Deleting…' : 'Yes, delete it'}
                </button>{' '}
                <button type="button" class="secondary" disabled={deleting} onClick={() => setConfirming(false)}>
                  Cancel
                </button>
              </div>
            )}
          </section>
        </>
      )}
    </Page>
  );
}
