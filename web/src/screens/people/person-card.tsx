// One person on the People screen: its faces, a rename form and "merge into" another person.

import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from '../../ui/kit.js';
import { FaceCrop } from './face-crop.js';
import { displayName, merge, rename, type Changed, type Person } from './people-api.js';

export interface Done {
  changed: Changed;
  message: string;
  /** Offered with the message: undo the step just taken. */
  undo?: { personId: string; toRevision: number };
}

/** Faces shown per card (the person view shows all). */
const SHOWN = 12;

export function PersonCard(props: { person: Person; others: readonly Person[]; onDone: (done: Done) => void }) {
  const { person, others } = props;
  const name = displayName(person);
  const [draft, setDraft] = useState(person.name ?? '');
  const [target, setTarget] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const headingId = `person-${person.personId}`;
  useEffect(() => setDraft(person.name ?? ''), [person.name]);

  const act = async (step: () => Promise<Done>) => {
    setBusy(true);
    setError(undefined);
    try {
      props.onDone(await step());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const into = others.find((o) => o.personId === target);
  return (
    <li class="card person" data-person-id={person.personId} aria-labelledby={headingId}>
      <h2 id={headingId}>
        <a href={`#/people/${person.personId}`}>{name}</a> <small class="muted">{person.faceCount === 1 ? '1 face' : `${person.faceCount} faces`}</small>
      </h2>
      <ul class="faces" aria-label={`Faces of ${name}`}>
        {person.faces.slice(0, SHOWN).map((f, i) => (
          <li key={f.faceId}>
            <FaceCrop imageId={f.imageId} faceId={f.faceId} label={`Face ${i + 1} of ${name}${f.by === 'auto' ? ' (placed automatically)' : ''}`} />
          </li>
        ))}
        {person.faces.length > SHOWN ? (
          <li>
            <a href={`#/people/${person.personId}`}>{person.faces.length - SHOWN} more</a>
          </li>
        ) : null}
      </ul>
      <ErrorNote error={error} />
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            const changed = await rename(person.personId, draft);
            return { changed, message: draft.trim() ? `Renamed ${name} to ${draft.trim()}.` : `${name} is unnamed now.` };
          });
        }}
      >
        <div class="field">
          <label for={`name-${person.personId}`}>Name</label>
          <input id={`name-${person.personId}`} value={draft} maxLength={200} onInput={(e) => setDraft(e.currentTarget.value)} aria-describedby={headingId} />
        </div>
        <button type="submit" disabled={busy || draft === (person.name ?? '')} aria-describedby={headingId}>
          Rename
        </button>
      </form>
      {others.length > 0 ? (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            if (!into) return;
            void act(async () => {
              const changed = await merge(into.personId, person.personId);
              return { changed, message: `Merged ${name} into ${displayName(into)}.`, undo: { personId: into.personId, toRevision: Number(into.revision) } };
            });
          }}
        >
          <div class="field">
            <label for={`merge-${person.personId}`}>Merge into</label>
            <select id={`merge-${person.personId}`} value={target} onChange={(e) => setTarget(e.currentTarget.value)} aria-describedby={headingId}>
              <option value="">Choose a person…</option>
              {others.map((o) => (
                <option key={o.personId} value={o.personId}>
                  {displayName(o)} ({o.faceCount})
                </option>
              ))}
            </select>
          </div>
          <button type="submit" class="secondary" disabled={busy || !into} aria-describedby={headingId}>
            Merge
          </button>
        </form>
      ) : null}
    </li>
  );
}
