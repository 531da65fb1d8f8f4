// The admin's commands for one user: change the role, deactivate (after a confirmation, with a
// reason), erase the account (after a confirmation). What the API refuses it says as a problem,
// shown here as is: the console does not second-guess the domain's rules.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { Role } from '../../api/session.js';
import { useSession } from '../../session-context.js';
import { ErrorNote, Field } from '../../ui/kit.js';
import { changeRole, deactivate, eraseUser, ROLES, type AdminUser, type ErasureAnswer } from './users-api.js';

interface Props {
  user: AdminUser;
  /** A command was recorded at `position` (null: nothing changed). */
  onDone: (position: string | null) => void;
  onErased: (user: AdminUser, answer: ErasureAnswer) => void;
  onClose: () => void;
}

type Confirming = 'deactivate' | 'erase' | undefined;

export function UserActions({ user, onDone, onErased, onClose }: Props) {
  const { me, refreshMe } = useSession();
  const [role, setRole] = useState<Role>(user.role);
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState<Confirming>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [note, setNote] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  const isMe = user.id === me.userId;

  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    if (confirming) document.getElementById(confirming === 'deactivate' ? 'deactivate-reason' : 'confirm-erase-button')?.focus();
  }, [confirming]);

  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    setNote('');
    try {
      await what();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const applyRole = () =>
    run(async () => {
      const answer = await changeRole(user.id, role);
      setNote(answer.position ? `The role of ${user.email} is now ${role}.` : `${user.email} already had the role ${role}.`);
      onDone(answer.position);
      if (isMe) await refreshMe();
    });

  const confirmDeactivate = () =>
    run(async () => {
      const answer = await deactivate(user.id, reason.trim());
      setConfirming(undefined);
      setNote(answer.position ? `${user.email} is deactivated: their tokens no longer work.` : `${user.email} was deactivated already.`);
      onDone(answer.position);
    });

  const confirmErase = () =>
    run(async () => {
      const answer = await eraseUser(user.id);
      onErased(user, answer);
    });

  return (
    <section class="card user-actions" aria-labelledby="user-actions-title">
      <header class="user-actions-head">
        <h2 id="user-actions-title" tabIndex={-1} ref={heading}>
          {user.displayName} <small class="muted">{user.email}</small>
        </h2>
        <button type="button" class="link" onClick={onClose}>
          Close
        </button>
      </header>
      <ErrorNote error={error} />
      <p class="ok" role="status">
        {note}
      </p>

      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void applyRole();
        }}
      >
        <div class="field">
          <label for="user-role">Role</label>
          <select id="user-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)} aria-describedby={isMe ? 'user-role-hint' : undefined}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          {isMe ? (
            <small id="user-role-hint" class="hint">
              This is you: another role takes the admin screens away from you.
            </small>
          ) : null}
        </div>
        <button type="submit" disabled={busy}>
          Apply the role
        </button>
      </form>

      <div class="danger-zone">
        {confirming === undefined ? (
          <div class="page-actions">
            <button type="button" class="secondary" disabled={busy || user.status === 'deactivated'} onClick={() => setConfirming('deactivate')}>
              Deactivate…
            </button>
            <button type="button" class="secondary" disabled={busy} onClick={() => setConfirming('erase')}>
              Erase the account…
            </button>
          </div>
        ) : confirming === 'deactivate' ? (
          <form
            class="confirm"
            aria-labelledby="confirm-deactivate"
            onSubmit={(e) => {
              e.preventDefault();
              void confirmDeactivate();
            }}
          >
            <p id="confirm-deactivate">
              Deactivate <strong>{user.email}</strong>? Their tokens stop working at once and they can no longer sign in.
            </p>
            <Field
              label="Reason for the deactivation"
              id="deactivate-reason"
              required
              maxLength={500}
              value={reason}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
            <div class="page-actions">
              <button type="submit" class="danger" disabled={busy || reason.trim() === ''}>
                Yes, deactivate
              </button>
              <button type="button" class="secondary" onClick={() => setConfirming(undefined)}>
                Cancel
              </button>
            </div>
          </form>
        ) : (
          <div class="confirm" role="group" aria-labelledby="confirm-erase">
            <p id="confirm-erase">
              Erase the account of <strong>{user.email}</strong>? Every image's faces, bytes and filename, the e-mail and the display name are destroyed; this cannot be
              undone. The signed receipt is shown once done.
            </p>
            <div class="page-actions">
              <button
                type="button"
                class="danger"
                disabled={busy}
                id="confirm-erase-button"
                onClick={() => void confirmErase()}
              >
                Yes, erase the account
              </button>
              <button type="button" class="secondary" onClick={() => setConfirming(undefined)}>
                Cancel
              </button>
            </div>
          </div>
        )}
      </div>
    </section>
  );
}
