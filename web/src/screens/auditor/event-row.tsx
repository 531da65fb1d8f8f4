// One event of the log as the timeline lists it: type, time, stream and revision, who caused it,
// its position; links to the image's history (events of an image stream) and to verifying it.

import { imageIdOf, type AuditEvent } from './audit-api.js';
import { formatInstant } from './time.js';

function actorOf(e: AuditEvent): string {
  const a = e.metadata.actor;
  if (!a?.id) return 'unknown';
  return a.role ? `${a.kind ?? 'user'} ${a.id} (${a.role})` : `${a.kind ?? 'actor'} ${a.id}`;
}

export function EventRow(props: { event: AuditEvent; fresh?: boolean }) {
  const e = props.event;
  const imageId = imageIdOf(e.stream);
  return (
    <li class={props.fresh ? 'au-event au-fresh' : 'au-event'} data-event-id={e.id} data-type={e.type} data-stream={e.stream}>
      <div class="au-event-head">
        <strong class="au-event-type">{e.type}</strong>
        <time dateTime={e.recordedAt}>{formatInstant(e.recordedAt)}</time>
      </div>
      <div class="au-event-meta">
        <span>
          stream <code>{e.stream}</code> revision {e.revision}
        </span>
        <span>by {actorOf(e)}</span>
        <span>
          position <code>{e.position}</code>
        </span>
      </div>
      <div class="au-event-links">
        {imageId ? <a href={`#/audit/images/${imageId}`}>Image history</a> : null}
        <a href={`#/audit/verify?event=${e.id}`}>Verify</a>
      </div>
      <details>
        <summary>Data and metadata</summary>
        <pre>{JSON.stringify({ data: e.data, metadata: e.metadata }, null, 2)}</pre>
      </details>
    </li>
  );
}
