// What a revocation or an account change does before it is answered (src/http/access-changes.ts),
// with stand-ins for Redis and the checkpoint wait: mark, bump, wait, bump; in force when the mark
// was written or the projection has it; 503 revocation_pending when neither.

import { describe, expect, it } from 'vitest';
import type { CheckpointWaiter } from '../../../src/checkpoints/checkpoint-waiter.js';
import type { Position } from '../../../src/eventstore/position.js';
import { accessChanges } from '../../../src/http/access-changes.js';
import { HttpProblem } from '../../../src/http/problem.js';

const P: Position = { commit: 7n, prepare: 3n };
const HEAD: Position = { commit: 9n, prepare: 1n };
const SID = '00000000-0000-4000-8000-000000000001';

function setup(opts: { marks: boolean; projected: boolean }) {
  const log: string[] = [];
  const changes = accessChanges({
    marks: {
      marked: () => Promise.resolve([]),
      mark: (uid, sid) => {
        log.push(`mark ${uid} ${sid}`);
        return Promise.resolve(opts.marks);
      },
    },
    bump: (keys) => {
      log.push(`bump ${[...keys].join(',')}`);
      return Promise.resolve();
    },
    keyPrefix: 'p:',
    checkpoints: {
      waitFor: (consumers: readonly string[], position: Position) => {
        log.push(`wait ${consumers.join(',')} ${position.commit}-${position.prepare}`);
        return Promise.resolve(opts.projected);
      },
    } as unknown as CheckpointWaiter,
    eventStore: { headPosition: () => Promise.resolve(HEAD) },
    timeoutMs: 10,
  });
  return { changes, log };
}

const pending = (p: Promise<unknown>) => expect(p).rejects.toSatisfy((e) => e instanceof HttpProblem && e.status === 503 && e.code === 'revocation_pending');

describe('access changes', () => {
  it('a revocation marks the session, bumps its user, waits for the sessions projection, bumps again', async () => {
    const { changes, log } = setup({ marks: true, projected: true });
    await changes.sessionRevoked('u1', SID, P);
    const gen = 'bump p:cache:gen:{user:u1}';
    expect(log).toEqual([`mark u1 ${SID}`, gen, 'wait sessions 7-3', gen]);
  });

  it('is in force with the mark alone (projection behind) or the projection alone (Redis down)', async () => {
    await expect(setup({ marks: true, projected: false }).changes.sessionRevoked('u1', SID, P)).resolves.toBeUndefined();
    await expect(setup({ marks: false, projected: true }).changes.sessionRevoked('u1', SID, P)).resolves.toBeUndefined();
  });

  it('neither: 503 revocation_pending', async () => {
    await pending(setup({ marks: false, projected: false }).changes.sessionRevoked('u1', SID, P));
  });

  it('a revocation that added no event waits for the head of the log', async () => {
    const { changes, log } = setup({ marks: true, projected: true });
    await changes.sessionRevoked('u1', SID, undefined);
    expect(log).toContain('wait sessions 9-1');
  });

  it('an account change waits for the users projection, then bumps; behind: 503', async () => {
    const { changes, log } = setup({ marks: true, projected: true });
    await changes.accountChanged('u1', P);
    expect(log).toEqual(['wait users 7-3', 'bump p:cache:gen:{user:u1}']);
    await pending(setup({ marks: true, projected: false }).changes.accountChanged('u1', P));
  });
});
