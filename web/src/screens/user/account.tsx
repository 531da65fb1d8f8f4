// The account: who is signed in, and erasure of the whole account (POST /v1/me/erasure): every
// photo's faces, bytes and filename, the e-mail and display name. The signed receipt the API
// answers with is the user's proof, shown and offered as a download; the session then ends (the
// API has already stopped taking its token).

import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../../api/client.js';
import { useSession } from '../../session-context.js';
import type { ScreenProps } from '../../screen.js';
import { download, ErrorNote, Page } from '../../ui/kit.js';

interface ErasureAnswer {
  erasureId: string;
  status: 'completed' | 'pending';
  position: string | null;
  receipt?: string;
  claims?: unknown;
}

/** While an erasure is pending: how often and how many times its state is read again. */
const POLL_MS = 1500;
const POLLS = 40;

function Receipt(props: { answer: ErasureAnswer; onEnd: () => void }) {
  const { answer } = props;
  const file = `erasure-receipt-${answer.erasureId}.json`;
  return (
    <div class="card receipt" role="status" data-erasure={answer.status}>
      {answer.status === 'completed' ? (
        <>
          <h2>Your account is erased</h2>
          <p>
            Keep this receipt: it is signed by the service (verify it against <code>/.well-known/jwks.json</code>) and proves the erasure <code>{answer.erasureId}</code>. This
            session has ended on the server; nothing here can be read again with it.
          </p>
          <p class="page-actions">
            <button type="button" onClick={() => download(file, answer)}>
              Download the receipt
            </button>
            <button type="button" class="secondary" onClick={props.onEnd}>
              End the session
            </button>
          </p>
          <h3>Receipt claims</h3>
          <pre data-receipt-claims tabIndex={0} aria-label="Receipt claims">{JSON.stringify(answer.claims, null, 2)}</pre>
          <details>
            <summary>The signed receipt (compact JWS)</summary>
            <pre class="jws" data-receipt tabIndex={0} aria-label="Signed receipt">{answer.receipt}</pre>
          </details>
        </>
      ) : (
        <p>
          The erasure <code>{answer.erasureId}</code> is recorded and still running; its receipt appears here when it is done.
        </p>
      )}
    </div>
  );
}

export function AccountScreen(_props: ScreenProps) {
  const { me, signOut } = useSession();
  const [understood, setUnderstood] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [answer, setAnswer] = useState<ErasureAnswer>();

  // A pending erasure: read its state again until the receipt is there (bounded).
  useEffect(() => {
    if (answer?.status !== 'pending') return;
    let polls = 0;
    const timer = setInterval(() => {
      if (++polls > POLLS) return clearInterval(timer);
      get<ErasureAnswer>(`/v1/me/erasure/${answer.erasureId}`).then((next) => next.status === 'completed' && setAnswer({ ...next, position: answer.position }), setError);
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [answer]);

  const erase = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setAnswer(await post<ErasureAnswer>('/v1/me/erasure'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="Account">
      <dl class="facts">
        <dt>Name</dt>
        <dd>{me.displayName}</dd>
        <dt>E-mail</dt>
        <dd>{me.email}</dd>
        <dt>Role</dt>
        <dd>{me.role}</dd>
      </dl>
      <section class="danger-zone" aria-labelledby="erase-heading">
        <h2 id="erase-heading">Erase my account</h2>
        <p>
          Erasure destroys the keys of your personal data: the faces, bytes and filenames of all your photos, your e-mail address and display name. The log keeps only that
          they existed. It cannot be undone.
        </p>
        <ErrorNote error={error} />
        {answer ? (
          <Receipt answer={answer} onEnd={() => void signOut()} />
        ) : (
          <>
            <p>
              <label>
                <input type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.currentTarget.checked)} /> I understand that this erases my account and
                all my photos for good
              </label>
            </p>
            <button type="button" class="danger" disabled={!understood || busy} onClick={() => void erase()}>
              {busy ? 'Erasing…' : 'Erase my account'}
            </button>
          </>
        )}
      </section>
    </Page>
  );
}
