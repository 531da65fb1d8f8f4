// The People screen: the caller's people with their faces, rename and merge on each, undo of the
// step just taken, and the search by photo. Live: a change to any of the caller's people (the
// automatic reactor's included) re-reads the list; after a command of this screen the re-read waits
// for its position (consistentWith), so the list shows it at once.

import { useState } from 'preact/hooks';
import { ErrorNote, Page, Spinner, useLoad } from '../../ui/kit.js';
import { RecognitionConsentNote, needsConsent } from './consent-note.js';
import { FaceSearch } from './face-search.js';
import { usePeopleChanges } from './live-people.js';
import { listPeople, undo } from './people-api.js';
import { PersonCard, type Done } from './person-card.js';

export function PeopleScreen() {
  const [since, setSince] = useState<string | null>(null);
  const people = useLoad(() => listPeople(since), [since]);
  const [done, setDone] = useState<Done>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const refused = needsConsent(people.error);
  usePeopleChanges(people.reload, !refused);

  const onDone = (d: Done) => {
    setDone(d);
    setError(undefined);
    if (d.changed.position) setSince(d.changed.position);
    else people.reload();
  };

  const undoLast = async () => {
    if (!done?.undo) return;
    setBusy(true);
    try {
      const changed = await undo(done.undo.personId, done.undo.toRevision);
      onDone({ changed, message: `Undone: ${done.message}` });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const list = people.data ?? [];
  return (
    <Page title="People">
      {refused ? (
        <RecognitionConsentNote />
      ) : (
        <>
          <ErrorNote error={people.error ?? error} />
          <div class="people-status" role="status" aria-live="polite">
            {done ? (
              <p>
                {done.message}{' '}
                {done.undo ? (
                  <button type="button" class="link" disabled={busy} onClick={() => void undoLast()}>
                    Undo
                  </button>
                ) : null}
              </p>
            ) : null}
          </div>
          <FaceSearch people={list} />
          {!people.data ? (
            <Spinner label="Reading your people…" />
          ) : list.length === 0 ? (
            <p class="muted" data-testid="no-people">
              No people yet. Faces of different photos that look alike form a person by themselves once your photos are analysed.
            </p>
          ) : (
            <>
              <p class="muted" aria-live="polite" data-testid="people-count">
                {list.length === 1 ? '1 person' : `${list.length} people`}
              </p>
              <ul class="people" aria-label="Your people">
                {list.map((p) => (
                  <PersonCard key={p.personId} person={p} others={list.filter((o) => o.personId !== p.personId)} onDone={onDone} />
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </Page>
  );
}
