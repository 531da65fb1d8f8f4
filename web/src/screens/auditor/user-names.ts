// Display names for user ids on the auditor screens (GET /v1/users/{id}, which the staff may
// read), fetched once per id and kept for the page's life; an id that cannot be read stays an id.

import { useEffect, useState } from 'preact/hooks';
import { get } from '../../api/client.js';

const known = new Map<string, Promise<string | undefined>>();

function nameOf(userId: string): Promise<string | undefined> {
  let p = known.get(userId);
  if (!p) {
    p = get<{ displayName: string; email: string }>(`/v1/users/${encodeURIComponent(userId)}`).then(
      (u) => `${u.displayName} <${u.email}>`,
      () => undefined,
    );
    known.set(userId, p);
  }
  return p;
}

/** id → "Name <e-mail>" for the ids given (filled in as they arrive). */
export function useUserNames(ids: readonly string[]): ReadonlyMap<string, string> {
  const [names, setNames] = useState<ReadonlyMap<string, string>>(new Map());
  const key = [...new Set(ids)].sort().join(',');
  useEffect(() => {
    let live = true;
    for (const id of new Set(ids)) {
      void nameOf(id).then((name) => {
        if (live && name) setNames((old) => (old.get(id) === name ? old : new Map(old).set(id, name)));
      });
    }
    return () => {
      live = false;
    };
  }, [key]);
  return names;
}
