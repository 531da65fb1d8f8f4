// Issue 14, item 5 on the command side: assertAppendable checks a command's events against the
// store's own limits (EventStore.limits), so on EventStoreDB (1 MiB MaxAppendSize) a use case
// refuses before its first append, as the store itself would, instead of PostgreSQL's 16 MiB.

import { describe, expect, it } from 'vitest';
import { assertAppendable } from '../../../src/commands/command-handler.js';
import type { Decider } from '../../../src/domain/decider.js';
import { InvalidEventError } from '../../../src/eventstore/errors.js';
import { EsdbEventStore } from '../../../src/eventstore/esdb/esdb-event-store.js';
import { DEFAULT_APPEND_LIMITS, ESDB_DEFAULT_MAX_APPEND_BYTES } from '../../../src/eventstore/validation.js';

type Cmd = { type: 'Put'; blob: string };
type Evt = { type: 'Put'; data: { blob: string } };
const decider: Decider<Cmd, Evt, null> = {
  initialState: null,
  decide: (c) => [
    { type: 'Put', data: { blob: c.blob } },
    { type: 'Put', data: { blob: c.blob } },
  ],
  evolve: (s) => s,
};
const ctx = { actor: { id: 'tester', kind: 'system' as const }, correlationId: 'c-1' };
// Two events of 0.6 MiB: each under both stores' event limit, the append over EventStoreDB's
// 1 MiB MaxAppendSize and well under PostgreSQL's 16 MiB.
const command: Cmd = { type: 'Put', blob: 'x'.repeat(Math.round(ESDB_DEFAULT_MAX_APPEND_BYTES * 0.6)) };

describe("assertAppendable uses the store's limits", () => {
  it('refuses a 1.2 MiB append on EventStoreDB (1 MiB) that PostgreSQL (16 MiB) accepts, without any I/O', async () => {
    // Nothing listens on port 1: the check must not need the server.
    const esdb = new EsdbEventStore('esdb://127.0.0.1:1?tls=false');
    try {
      expect(esdb.limits.appendMaxBytes).toBe(ESDB_DEFAULT_MAX_APPEND_BYTES);
      let err: unknown;
      try {
        assertAppendable(esdb, decider, 'f14-put-1', command, ctx);
      } catch (e) {
        err = e;
      }
      expect(err, 'a 1.2 MiB append passed the command-side check on EventStoreDB').toBeInstanceOf(InvalidEventError);
      expect((err as InvalidEventError).code).toBe('append_too_large');
    } finally {
      await esdb.close();
    }
    expect(() => assertAppendable({ limits: DEFAULT_APPEND_LIMITS }, decider, 'f14-put-1', command, ctx)).not.toThrow();
  });
});
