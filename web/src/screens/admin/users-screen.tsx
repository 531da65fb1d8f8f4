// Users (admin): every user a page at a time (GraphQL `users`), and for the one chosen: a role
// change, a deactivation and an account erasure (user-actions.tsx). After a command the page is
// read again with consistentWith=<the command's position>, so it shows what the command did.

import { useState } from 'preact/hooks';
import { useSession } from '../../session-context.js';
import { ErrorNote, Page, Spinner, useLoad } from '../../ui/kit.js';
import { ErasureReceipt } from './erasure-receipt.js';
import { UserActions } from './user-actions.js';
import { erasurePosition, usersPage, type AdminUser, type ErasureAnswer } from './users-api.js';

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function UsersScreen() {
  const { me } = useSession();
  /** The cursors of the pages walked so far: the last one is shown (null: the first page). */
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [consistentWith, setConsistentWith] = useState<string | null>(null);
  const [chosenId, setChosenId] = useState<string | undefined>();
  /** The last erasure: its receipt stays on screen after the user has left the list. */
  const [erased, setErased] = useState<{ user: AdminUser; answer: ErasureAnswer } | undefined>();
  const after = cursors.at(-1) ?? null;
  const page = useLoad(() => usersPage(after, consistentWith), [after, consistentWith]);
  const chosen: AdminUser | undefined = page.data?.users.find((u) => u.id === chosenId);

  /** A command was recorded at `position` (null: it changed nothing): read the page again. */
  const done = (position: string | null) => {
    if (position && position !== consistentWith) setConsistentWith(position);
    else page.reload();
  };
  const onErased = (user: AdminUser, answer: ErasureAnswer) => {
    setErased({ user, answer });
    setChosenId(undefined);
    done(erasurePosition(answer, user.id));
  };

  return (
    <Page title="Users">
      <ErrorNote error={page.error} />
      {erased ? <ErasureReceipt user={erased.user} answer={erased.answer} onUpdate={(answer) => onErased(erased.user, answer)} onClose={() => setErased(undefined)} /> : null}
      {!page.data ? (
        <Spinner label="Loading the users…" />
      ) : (
        <>
          <table class="users">
            <caption class="muted">
              Page {cursors.length}
              {page.loading ? ' (refreshing…)' : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">E-mail</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="admin-visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.data.users.map((u) => (
                <tr key={u.id} aria-current={u.id === chosenId ? 'true' : undefined} data-user={u.email}>
                  <td>
                    {u.email}
                    {u.id === me.userId ? <small class="muted"> (you)</small> : null}
                  </td>
                  <td>{u.displayName}</td>
                  <td data-col="role">{u.role}</td>
                  <td data-col="status">
                    <span class={`status status-${u.status}`}>{u.status}</span>
                  </td>
                  <td>
                    <time dateTime={u.createdAt}>{when(u.createdAt)}</time>
                  </td>
                  <td>
                    <button type="button" class="secondary" aria-label={`Manage ${u.email}`} aria-expanded={u.id === chosenId} onClick={() => setChosenId(u.id === chosenId ? undefined : u.id)}>
                      Manage
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.data.users.length === 0 ? <p class="muted">No users on this page.</p> : null}
          <nav class="pager" aria-label="Pages of users">
            <button type="button" class="secondary" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
              Previous page
            </button>
            <button type="button" class="secondary" disabled={!page.data.hasNextPage} onClick={() => page.data?.endCursor && setCursors((c) => [...c, page.data?.endCursor ?? null])}>
              Next page
            </button>
          </nav>
          {chosen ? <UserActions key={chosen.id} user={chosen} onDone={done} onErased={onErased} onClose={() => setChosenId(undefined)} /> : null}
        </>
      )}
    </Page>
  );
}
