// Search by photo: drop a photo on the zone or pick one with the file input; the API compares its
// largest face with the gallery (POST /v1/faces/search, multipart; the photo is not stored) and
// the matches are shown nearest first — face, person, distance.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { ErrorNote } from '../../ui/kit.js';
import { CropView, FaceCrop } from './face-crop.js';
import { displayName, searchByPhoto, type Person, type PhotoSearchResult } from './people-api.js';

interface LocalPicture {
  url: string;
  width: number;
  height: number;
}

/** The picked file as a blob URL with its size (revoked when another is picked or on unmount). */
function useLocalPicture(file: File | undefined): LocalPicture | undefined {
  const [picture, setPicture] = useState<LocalPicture>();
  useEffect(() => {
    setPicture(undefined);
    if (!file) return;
    const url = URL.createObjectURL(file);
    let live = true;
    const img = new Image();
    img.onload = () => live && setPicture({ url, width: img.naturalWidth, height: img.naturalHeight });
    img.src = url;
    return () => {
      live = false;
      URL.revokeObjectURL(url);
    };
  }, [file]);
  return picture;
}

export function FaceSearch(props: { people: readonly Person[] }) {
  const [file, setFile] = useState<File>();
  const [result, setResult] = useState<PhotoSearchResult>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [over, setOver] = useState(false);
  const aborter = useRef<AbortController>();
  const picture = useLocalPicture(file);
  useEffect(() => () => aborter.current?.abort(), []);

  const search = async (photo: File) => {
    aborter.current?.abort();
    const ac = new AbortController();
    aborter.current = ac;
    setFile(photo);
    setResult(undefined);
    setError(undefined);
    setBusy(true);
    try {
      const found = await searchByPhoto(photo, ac.signal);
      if (!ac.signal.aborted) setResult(found);
    } catch (err) {
      if (!ac.signal.aborted) setError(err);
    } finally {
      if (!ac.signal.aborted) setBusy(false);
    }
  };

  const onDrop = (e: JSX.TargetedDragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setOver(false);
    const dropped = e.dataTransfer?.files[0];
    if (dropped) void search(dropped);
  };
  const names = new Map(props.people.map((p) => [p.personId, displayName(p)]));

  return (
    <section class="card face-search" aria-labelledby="face-search-title">
      <h2 id="face-search-title">Search by photo</h2>
      <div
        class={`drop-zone${over ? ' over' : ''}`}
        data-testid="drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>Drop a photo here, or choose one. Its largest face is compared with the faces of your gallery; the photo itself is not kept.</p>
        <div class="field">
          <label for="face-search-file">Photo to search with</label>
          <input
            id="face-search-file"
            type="file"
            accept="image/jpeg,image/png,image/webp"
            onChange={(e) => {
              const picked = e.currentTarget.files?.[0];
              if (picked) void search(picked);
            }}
          />
        </div>
      </div>
      <p role="status" aria-live="polite" class="muted">
        {busy ? 'Searching…' : result ? (result.unknown ? `No face of your gallery (${result.gallerySize} faces) is within ${result.threshold} of it.` : `${result.matches.length} match${result.matches.length === 1 ? '' : 'es'}, nearest first.`) : ''}
      </p>
      <ErrorNote error={error} />
      {result ? (
        <div class="search-result">
          {result.face && picture ? (
            <figure class="searched">
              <CropView url={picture.url} width={picture.width} height={picture.height} box={result.face.box} label="The face searched with" size={112} />
              <figcaption>Searched with</figcaption>
            </figure>
          ) : null}
          <ol class="matches" aria-label="Matches">
            {result.matches.map((m) => (
              <li key={m.faceId} class="match" data-face-id={m.faceId}>
                <FaceCrop imageId={m.imageId} faceId={m.faceId} label={`Matching face${m.personId ? ` of ${names.get(m.personId) ?? 'a person'}` : ''}`} />
                <span>
                  {m.personId ? <a href={`#/people/${m.personId}`}>{names.get(m.personId) ?? 'A person'}</a> : <span class="muted">In no person</span>}
                  <br />
                  <small>distance {m.distance.toFixed(3)}</small>
                </span>
              </li>
            ))}
          </ol>
        </div>
      ) : null}
    </section>
  );
}
