// Timeline: the event log, newest at the top, filtered by type, stream prefix, actor and time
// (GET /v1/audit/events pages forward from the start of the log or the filter's bounds); once the
// pages reach the head, new events arrive live (/v1/audit/live) and an aria-live region announces
// them. Pause stops the stream; resume continues after the last event seen.

import { useEffect, useState } from 'preact/hooks';
import type { ScreenProps } from '../../screen.js';
import { ErrorNote, Page, Spinner } from '../../ui/kit.js';
import { FEED_PAGE, feedPage, type AuditEvent, type FeedFilter } from './audit-api.js';
import { EventRow } from './event-row.js';
import { FilterForm, filtersOf, type FilterField } from './filter-form.js';
import { useLiveFeed } from './live-feed.js';

const FIELDS: readonly FilterField[] = [
  { name: 'type', label: 'Event types', hint: 'Comma-separated, e.g. ImageUploaded,ImageAnalyzed', kind: 'text', maxLength: 2000 },
  { name: 'stream', label: 'Stream prefix', hint: 'e.g. image- or user-<id>', kind: 'text', maxLength: 200 },
  { name: 'actor', label: 'Actor id', hint: 'Who caused it (metadata.actor.id)', kind: 'text', maxLength: 200 },
  { name: 'from', label: 'Recorded from', kind: 'datetime' },
  { name: 'to', label: 'Recorded until', kind: 'datetime' },
];

/** Most events kept on screen; the oldest leave the bottom. */
const MAX_SHOWN = 1_000;

/** The feed's filter applied to a live event (the live stream carries every event). */
export function matches(f: FeedFilter, e: AuditEvent): boolean {
  const types = f.type?.split(',').map((s) => s.trim()).filter(Boolean);
  if (types && types.length > 0 && !types.includes(e.type)) return false;
  if (f.stream && !e.stream.startsWith(f.stream)) return false;
  if (f.actor && e.metadata.actor?.id !== f.actor) return false;
  const at = Date.parse(e.recordedAt);
  if (f.from && at < Date.parse(f.from)) return false;
  if (f.to && at > Date.parse(f.to)) return false;
  return true;
}

export function TimelineScreen(props: ScreenProps) {
  const filter = filtersOf(FIELDS, props.query) as FeedFilter;
  const key = JSON.stringify(filter);
  return (
    <Page title="Timeline">
      <FilterForm path="/audit" label="Filter the timeline" fields={FIELDS} values={filter as Record<string, string>} />
      <TimelineList key={key} filter={filter} />
    </Page>
  );
}

function TimelineList(props: { filter: FeedFilter }) {
  const { filter } = props;
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [caughtUp, setCaughtUp] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const [paused, setPaused] = useState(false);
  const [fresh, setFresh] = useState<{ count: number; last?: AuditEvent; ids: Set<string> }>({ count: 0, ids: new Set() });
  const endsInPast = filter.to !== undefined && Date.parse(filter.to) < Date.now();

  const loadPage = async (after: string | undefined, signal?: AbortSignal) => {
    setLoading(true);
    try {
      const page = await feedPage(filter, after, signal);
      setEvents((old) => [...page.events.slice().reverse(), ...old].slice(0, MAX_SHOWN));
      setCursor(page.nextCursor);
      setCaughtUp(page.events.length < FEED_PAGE);
      setError(undefined);
    } catch (err) {
      if (!signal?.aborted) setError(err);
    } finally {
      if (!signal?.aborted) setLoading(false);
    }
  };

  useEffect(() => {
    const ac = new AbortController();
    void loadPage(undefined, ac.signal);
    return () => ac.abort();
  }, []);

  const live = useLiveFeed(caughtUp && !endsInPast ? cursor : undefined, paused, (e) => {
    if (!matches(filter, e)) return;
    setEvents((old) => (old.some((o) => o.id === e.id) ? old : [e, ...old].slice(0, MAX_SHOWN)));
    setFresh((f) => ({ count: f.count + 1, last: e, ids: new Set(f.ids).add(e.id) }));
  });

  const liveText = endsInPast
    ? 'Not live: the time range ends in the past'
    : !caughtUp
      ? 'Not live yet: load the newer pages to reach the newest events'
      : live.phase === 'paused'
        ? 'Paused: resume to catch up'
        : live.phase === 'error'
          ? 'Disconnected'
          : 'Live';

  return (
    <>
      <div class="au-live-bar">
        <p class={`au-live-state au-live-${live.phase}`} data-phase={live.phase}>
          <span class="au-dot" aria-hidden="true" />
          {liveText}
        </p>
        {caughtUp && !endsInPast ? (
          <button type="button" class="secondary" onClick={() => setPaused((p) => !p)}>
            {paused ? 'Resume live updates' : 'Pause live updates'}
          </button>
        ) : null}
        {live.phase === 'error' ? (
          <button type="button" class="secondary" onClick={live.retry}>
            Reconnect
          </button>
        ) : null}
      </div>
      <p class="au-announce" role="status" aria-live="polite" aria-atomic="true">
        {fresh.count === 0
          ? ''
          : `${fresh.count} new ${fresh.count === 1 ? 'event' : 'events'} since you opened the timeline; latest: ${fresh.last?.type ?? ''} in ${fresh.last?.stream ?? ''}`}
      </p>
      <ErrorNote error={live.phase === 'error' ? live.error : undefined} />
      <ErrorNote error={error} />
      {loading && events.length === 0 ? <Spinner label="Loading events…" /> : null}
      {!loading && events.length === 0 && !error ? <p class="muted">No events match.</p> : null}
      {!caughtUp && !loading ? (
        <button type="button" onClick={() => void loadPage(cursor)}>
          Load newer events
        </button>
      ) : null}
      <ol class="au-events" aria-label="Events, newest first">
        {events.map((e) => (
          <EventRow key={e.id} event={e} fresh={fresh.ids.has(e.id)} />
        ))}
      </ol>
      {events.length >= MAX_SHOWN ? <p class="muted">Showing the newest {MAX_SHOWN} events; narrow the filters to see older ones.</p> : null}
    </>
  );
}
