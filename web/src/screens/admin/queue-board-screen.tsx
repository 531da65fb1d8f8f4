// Queues (admin): opens the Bull Board UI in a new tab. The board is a plain page that cannot send
// the Bearer header, so the button first opens a board session (POST
// /v1/admin/queue-board/session): its answer sets a short-lived HttpOnly cookie scoped to the board
// — the console never holds a board token, and none goes into a URL. The tab is opened during the
// click (so no pop-up blocker stops it), cut off from this page (no opener: the board is
// third-party code) and sent to the board once the session is open.

import { useEffect, useState } from 'preact/hooks';
import { post } from '../../api/client.js';
import { ErrorNote, Page } from '../../ui/kit.js';

interface BoardSession {
  /** Where the board is (/admin/queues/). */
  board: string;
  expiresAt: string;
}

export function QueueBoardScreen() {
  const [session, setSession] = useState<BoardSession | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [ended, setEnded] = useState(false);

  // The cookie dies at expiresAt: say so then, instead of offering a link that would answer 401.
  useEffect(() => {
    if (!session) return undefined;
    setEnded(false);
    const timer = setTimeout(() => setEnded(true), Math.max(0, Date.parse(session.expiresAt) - Date.now()));
    return () => clearTimeout(timer);
  }, [session]);

  const open = async () => {
    setBusy(true);
    setError(undefined);
    const tab = window.open('', '_blank');
    if (tab) tab.opener = null;
    try {
      const answer = await post<BoardSession>('/v1/admin/queue-board/session');
      setSession(answer);
      tab?.location.replace(new URL(answer.board, location.href).href);
    } catch (err) {
      tab?.close();
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="Queues">
      <p>
        The queue board (Bull Board) shows the analysis and maintenance queues: waiting, active, failed and completed jobs. It opens in a new tab, on a board session
        of its own that ends by itself; signing out or losing the admin role ends it at once.
      </p>
      <ErrorNote error={error} />
      <div class="page-actions">
        <button type="button" disabled={busy} onClick={() => void open()}>
          Open the queue board
        </button>
      </div>
      <p role="status" class="board-session">
        {session && ended ? (
          'The board session has ended: open the board again for a new one.'
        ) : session ? (
          <>
            Board session open until <time dateTime={session.expiresAt}>{new Date(session.expiresAt).toLocaleTimeString()}</time>.{' '}
            <a href={session.board} target="_blank" rel="noopener noreferrer">
              Go to the board again (new tab)
            </a>
          </>
        ) : null}
      </p>
    </Page>
  );
}
