// The filters of a list screen (timeline, access log) as a labelled form. The values live in the
// screen's URL query (#/audit?type=…), so a reload or a shared link shows the same list; Apply
// navigates to the new query, Clear to none.

import { useEffect, useState } from 'preact/hooks';
import { navigate } from '../../router.js';
import { fromLocalInput, toLocalInput } from './time.js';

export interface FilterField {
  name: string;
  label: string;
  hint?: string;
  kind: 'text' | 'datetime';
  maxLength?: number;
  pattern?: string;
}

/** The filter values a query holds (only the fields' names). */
export function filtersOf(fields: readonly FilterField[], query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = query.get(f.name);
    if (v) out[f.name] = v;
  }
  return out;
}

export function FilterForm(props: { path: string; label: string; fields: readonly FilterField[]; values: Record<string, string> }) {
  const [draft, setDraft] = useState<Record<string, string>>({});
  useEffect(() => {
    const d: Record<string, string> = {};
    for (const f of props.fields) d[f.name] = f.kind === 'datetime' ? toLocalInput(props.values[f.name]) : (props.values[f.name] ?? '');
    setDraft(d);
  }, [JSON.stringify(props.values)]);

  const apply = (e: Event) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const f of props.fields) {
      const raw = (draft[f.name] ?? '').trim();
      const v = f.kind === 'datetime' ? fromLocalInput(raw) : raw;
      if (v) q.set(f.name, v);
    }
    const s = q.toString();
    navigate(s ? `${props.path}?${s}` : props.path);
  };

  return (
    <form class="au-filters card" aria-label={props.label} onSubmit={apply}>
      {props.fields.map((f) => {
        const id = `filter-${f.name}`;
        return (
          <div class="field" key={f.name}>
            <label for={id}>{f.label}</label>
            <input
              id={id}
              type={f.kind === 'datetime' ? 'datetime-local' : 'text'}
              step={f.kind === 'datetime' ? 1 : undefined}
              maxLength={f.maxLength}
              pattern={f.pattern}
              aria-describedby={f.hint ? `${id}-hint` : undefined}
              value={draft[f.name] ?? ''}
              onInput={(e) => setDraft({ ...draft, [f.name]: e.currentTarget.value })}
            />
            {f.hint ? (
              <small id={`${id}-hint`} class="hint">
                {f.hint}
              </small>
            ) : null}
          </div>
        );
      })}
      <div class="au-filter-actions">
        <button type="submit">Apply filters</button>
        <button type="button" class="secondary" onClick={() => navigate(props.path)}>
          Clear
        </button>
      </div>
    </form>
  );
}
