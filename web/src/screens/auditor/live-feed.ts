// The live feed of the log for a screen: GET /v1/audit/live after a cursor (Server-Sent Events
// read with the Bearer header), resumed after the last event seen when the stream ends, a
// network error happens, or the screen resumes from a pause — the server's catch-up after the
// cursor means nothing is skipped or repeated across reconnects.

import { useEffect, useRef, useState } from 'preact/hooks';
import { readEventStream } from '../../api/event-stream.js';
import { ProblemError } from '../../api/problem.js';
import type { AuditEvent } from './audit-api.js';

export type LivePhase = 'off' | 'live' | 'paused' | 'error';

export interface LiveFeed {
  phase: LivePhase;
  error: unknown;
  /** Connect again now (after an error). */
  retry: () => void;
}

/** The server asks clients to retry after 2 s (its `retry:` field). */
const RECONNECT_MS = 2_000;

/**
 * Streams the events after `from` (undefined: off) to onEvent while not paused. The cursor moves
 * with each event, so pausing and resuming continues where it stopped.
 */
export function useLiveFeed(from: string | undefined, paused: boolean, onEvent: (e: AuditEvent) => void): LiveFeed {
  const cursor = useRef<string | undefined>(from);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const [phase, setPhase] = useState<LivePhase>('off');
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    cursor.current = from;
  }, [from]);

  useEffect(() => {
    if (from === undefined) {
      setPhase('off');
      return;
    }
    if (paused) {
      setPhase('paused');
      return;
    }
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const again = () => {
      if (!ac.signal.aborted) timer = setTimeout(() => setAttempt((a) => a + 1), RECONNECT_MS);
    };
    setPhase('live');
    setError(undefined);
    const after = cursor.current ? `?after=${encodeURIComponent(cursor.current)}` : '';
    readEventStream(
      `/v1/audit/live${after}`,
      (frame) => {
        const e = JSON.parse(frame.data) as AuditEvent;
        cursor.current = frame.id ?? e.position;
        handler.current(e);
      },
      ac.signal,
    ).then(again, (err: unknown) => {
      if (ac.signal.aborted) return;
      setError(err);
      setPhase('error');
      // A refusal (401/403/400) stays until the user retries; a dropped connection reconnects.
      if (!(err instanceof ProblemError && err.status < 500)) again();
    });
    return () => {
      ac.abort();
      if (timer) clearTimeout(timer);
    };
  }, [from === undefined, paused, attempt]);

  return { phase, error, retry: () => setAttempt((a) => a + 1) };
}
