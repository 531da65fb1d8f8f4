// One person (/people/:personId): all its faces and its history, each step with who took it
// (you or the automatic reactor); "Undo back to here" undoes every later step (compensating
// events: the history keeps them all). Live like the People screen.

import { useState } from 'preact/hooks';
import type { ScreenProps } from '../../screen.js';
import { ErrorNote, Page, Spinner, useLoad } from '../../ui/kit.js';
import { RecognitionConsentNote, needsConsent } from './consent-note.js';
import { describeStep } from './describe-step.js';
import { FaceCrop } from './face-crop.js';
import { usePeopleChanges } from './live-people.js';
import { displayName, listPeople, readHistory, readPerson, undo } from './people-api.js';

export function PersonScreen(props: ScreenProps) {
  const personId = props.params['personId'] ?? '';
  const [since, setSince] = useState<string | null>(null);
  const person = useLoad((signal) => readPerson(personId, since, signal), [personId, since]);
  const history = useLoad((signal) => readHistory(personId, signal), [personId, since]);
  const others = useLoad(() => listPeople(since), [since]);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const refused = needsConsent(person.error);
  usePeopleChanges((changed) => {
    if (changed === personId) {
      person.reload();
      history.reload();
    }
    others.reload();
  }, !refused);

  const nameOf = (id: string) => {
    const p = others.data?.find((o) => o.personId === id);
    return p ? displayName(p) : `person ${id.slice(0, 8)}`; // merged or deleted: not listed
  };

  const undoTo = async (toRevision: number | undefined, what: string) => {
    setBusy(true);
    setError(undefined);
    try {
      const changed = await undo(personId, toRevision);
      setStatus(`Undone: ${what}.`);
      if (changed.position) setSince(changed.position);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const p = person.data;
  const title = p ? displayName(p) : 'Person';
  const steps = history.data ?? [];
  return (
    <Page title={title}>
      <p>
        <a href="#/people">All people</a>
      </p>
      {refused ? (
        <RecognitionConsentNote />
      ) : (
        <>
          <ErrorNote error={person.error ?? history.error ?? error} />
          <p role="status" aria-live="polite">
            {status}
          </p>
          {!p ? (
            <Spinner />
          ) : (
            <>
              {p.status !== 'active' ? (
                <p class="card" data-testid="person-status">
                  {p.status === 'merged' ? (
                    <>
                      Merged into {p.mergedInto ? <a href={`#/people/${p.mergedInto}`}>{nameOf(p.mergedInto)}</a> : 'another person'}: undo there gives it back.
                    </>
                  ) : (
                    'Deleted: undo below brings it back.'
                  )}
                </p>
              ) : null}
              <section aria-labelledby="faces-title">
                <h2 id="faces-title">{p.faceCount === 1 ? '1 face' : `${p.faceCount} faces`}</h2>
                <ul class="faces" aria-label={`Faces of ${title}`}>
                  {p.faces.map((f, i) => (
                    <li key={f.faceId}>
                      <FaceCrop imageId={f.imageId} faceId={f.faceId} label={`Face ${i + 1} of ${title}`} size={120} />
                      <small class="muted">{f.by === 'auto' ? `auto, distance ${f.distance?.toFixed(3) ?? '?'}` : 'by you'}</small>
                    </li>
                  ))}
                </ul>
              </section>
            </>
          )}
          <section aria-labelledby="history-title">
            <h2 id="history-title">History</h2>
            {!history.data ? (
              <Spinner />
            ) : (
              <ol class="history" aria-label={`History of ${title}`}>
                {steps.map((s, i) => {
                  const what = describeStep(s, nameOf);
                  return (
                    <li key={s.revision} data-revision={s.revision} data-type={s.type}>
                      <span>
                        <strong>{what}</strong>
                        <br />
                        <small class="muted">
                          step {s.revision} · {s.by === 'auto' ? 'automatic' : 'by you'} · <time dateTime={s.at}>{new Date(s.at).toLocaleString()}</time>
                        </small>
                      </span>
                      {i < steps.length - 1 ? (
                        <button type="button" class="secondary" disabled={busy} onClick={() => void undoTo(Number(s.revision), `every step after step ${s.revision}`)} aria-label={`Undo back to here: every step after step ${s.revision}, ${what}`}>
                          Undo back to here
                        </button>
                      ) : null}
                    </li>
                  );
                })}
              </ol>
            )}
          </section>
        </>
      )}
    </Page>
  );
}
