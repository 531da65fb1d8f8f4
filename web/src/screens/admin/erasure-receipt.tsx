// The outcome of an admin erasure: the signed receipt (a compact JWS, verifiable against
// /.well-known/jwks.json), offered as a download; while the executor has not finished, the erasure
// id and a button that asks again.

import { useEffect, useRef, useState } from 'preact/hooks';
import { download, ErrorNote } from '../../ui/kit.js';
import { erasure, type AdminUser, type ErasureAnswer } from './users-api.js';

interface Props {
  user: AdminUser;
  answer: ErasureAnswer;
  /** A later answer about the same erasure (it completed since). */
  onUpdate: (answer: ErasureAnswer) => void;
  onClose: () => void;
}

export function ErasureReceipt({ user, answer, onUpdate, onClose }: Props) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [answer.erasureId]);

  const checkAgain = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onUpdate(await erasure(answer.erasureId));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card erasure-receipt" aria-labelledby="erasure-title">
      <h2 id="erasure-title" tabIndex={-1} ref={heading}>
        {answer.status === 'completed' ? `Erased: ${user.email}` : `Erasure of ${user.email} under way`}
      </h2>
      <ErrorNote error={error} />
      <dl class="facts">
        <dt>Erasure</dt>
        <dd>
          <code>{answer.erasureId}</code>
        </dd>
        <dt>Status</dt>
        <dd data-erasure-status={answer.status}>{answer.status}</dd>
        {answer.claims ? (
          <>
            <dt>Completed</dt>
            <dd>
              <time dateTime={answer.claims.completedAt}>{new Date(answer.claims.completedAt).toLocaleString()}</time>
            </dd>
            <dt>Keys destroyed</dt>
            <dd>{answer.claims.keys.length}</dd>
          </>
        ) : null}
      </dl>
      {answer.receipt ? (
        <>
          <label for="erasure-jws">Signed receipt (JWS; verify it with /.well-known/jwks.json)</label>
          <textarea id="erasure-jws" class="jws" readOnly rows={4} value={answer.receipt} />
        </>
      ) : (
        <p class="muted">The erasure executor has not finished yet: the receipt comes once it has.</p>
      )}
      <div class="page-actions">
        {answer.receipt ? (
          <button type="button" onClick={() => download(`erasure-receipt-${answer.erasureId}.json`, { erasureId: answer.erasureId, receipt: answer.receipt, claims: answer.claims })}>
            Download the receipt
          </button>
        ) : (
          <button type="button" disabled={busy} onClick={() => void checkAgain()}>
            Check the erasure again
          </button>
        )}
        <button type="button" class="secondary" onClick={onClose}>
          Dismiss
        </button>
      </div>
    </section>
  );
}
