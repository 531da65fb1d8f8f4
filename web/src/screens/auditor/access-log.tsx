// Access log: who read whose biometric data (faces, content, annotated images), newest first
// (GET /v1/audit/access), filtered by subject, accessor and time, a page at a time. Each record
// links to the images read and to verifying the event that holds it.

import { useState } from 'preact/hooks';
import type { ScreenProps } from '../../screen.js';
import { ErrorNote, Page, Spinner, useLoad } from '../../ui/kit.js';
import { ACCESS_PAGE, accessPage, type AccessFilter } from './audit-api.js';
import { FilterForm, filtersOf, type FilterField } from './filter-form.js';
import { formatInstant } from './time.js';
import { useUserNames } from './user-names.js';

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const FIELDS: readonly FilterField[] = [
  { name: 'subject', label: 'Subject (user id)', hint: 'Whose data was read', kind: 'text', maxLength: 36, pattern: UUID },
  { name: 'accessor', label: 'Accessor (user id)', hint: 'Who read it', kind: 'text', maxLength: 36, pattern: UUID },
  { name: 'from', label: 'Accessed from', kind: 'datetime' },
  { name: 'to', label: 'Accessed before', kind: 'datetime' },
];

export function AccessLogScreen(props: ScreenProps) {
  const filter = filtersOf(FIELDS, props.query) as AccessFilter;
  return (
    <Page title="Access log">
      <FilterForm path="/audit/access" label="Filter the access log" fields={FIELDS} values={filter as Record<string, string>} />
      <AccessPages key={JSON.stringify(filter)} filter={filter} />
    </Page>
  );
}

function AccessPages(props: { filter: AccessFilter }) {
  // The cursors of the pages before this one (forward-only cursors: going back pops the stack).
  const [trail, setTrail] = useState<(string | undefined)[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const page = useLoad((signal) => accessPage(props.filter, cursor, signal), [cursor]);
  const items = page.data?.items ?? [];
  const names = useUserNames(items.flatMap((r) => [r.subjectId, r.accessor.id]));
  const who = (id: string) => names.get(id) ?? id;

  return (
    <>
      <div class="page-actions">
        <button type="button" class="secondary" onClick={page.reload}>
          Refresh
        </button>
      </div>
      <ErrorNote error={page.error} />
      {page.loading && !page.data ? <Spinner label="Loading access records…" /> : null}
      {page.data && items.length === 0 ? <p class="muted">No access records match.</p> : null}
      {items.length > 0 ? (
        <table class="au-access">
          <caption class="au-visually-hidden">Access records, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who read</th>
              <th scope="col">Whose data</th>
              <th scope="col">What</th>
              <th scope="col">Through</th>
              <th scope="col">Record</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.recordId} data-record-id={r.recordId} data-subject={r.subjectId} data-accessor={r.accessor.id}>
                <td>
                  <time dateTime={r.at}>{formatInstant(r.at)}</time>
                </td>
                <td>
                  {who(r.accessor.id)} <small class="au-role-tag">{r.accessor.role}</small>
                </td>
                <td>{who(r.subjectId)}</td>
                <td>
                  {r.fields.join(', ')}
                  {r.imageIds.length > 0 ? (
                    <ul class="au-plain">
                      {r.imageIds.map((id) => (
                        <li key={id}>
                          <a href={`#/audit/images/${id}`} aria-label={`History of image ${id}`}>
                            image {id.slice(0, 8)}…
                          </a>
                        </li>
                      ))}
                    </ul>
                  ) : null}
                  {r.purpose ? <div>purpose: {r.purpose}</div> : null}
                </td>
                <td>
                  <code>{r.route}</code>
                  <div>
                    <small>request {r.requestId}</small>
                  </div>
                </td>
                <td>
                  <a href={`#/audit/verify?event=${r.eventId}`} aria-label={`Verify the event of record ${r.recordId}`}>
                    Verify
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <nav class="au-pager" aria-label="Access log pages">
        <button
          type="button"
          class="secondary"
          disabled={trail.length === 0}
          onClick={() => {
            setCursor(trail.at(-1));
            setTrail(trail.slice(0, -1));
          }}
        >
          Newer records
        </button>
        <span class="muted">
          Page {trail.length + 1} ({ACCESS_PAGE} a page)
        </span>
        <button
          type="button"
          class="secondary"
          disabled={!page.data?.nextCursor}
          onClick={() => {
            setTrail([...trail, cursor]);
            setCursor(page.data?.nextCursor ?? undefined);
          }}
        >
          Older records
        </button>
      </nav>
    </>
  );
}
