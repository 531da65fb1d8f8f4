// The identity commands' AccessChanges (identity-service.ts): what a logout, a revoked session
// family, a role change or a deactivation does before it is answered, so that the very next
// request with an old access token, on any API process, is refused (the guard reads the account
// and its revoked sessions as one cached entry: cached-accounts.ts).
//
// A revoked session:
//   1. the session goes into the user's revocation marks in Redis (ttl: the access-token lifetime
//      plus a margin), then the user's cache generation is bumped: a cached entry without it is
//      dead, and whoever loads the entry anew finds the mark;
//   2. the command waits (CONSISTENCY_TIMEOUT_MS) for the sessions projection to reach its
//      position, so that rm.sessions, the fallback when Redis is down, already has it; then the
//      generation is bumped once more (an entry loaded from the old rows while the mark could not
//      be written dies too);
//   3. it is in force when the mark was written or the wait ended; neither (Redis down AND the
//      projection behind): 503 `revocation_pending` — recorded, in force once the projection has
//      it; retrying is safe (the revocation is idempotent and marks again).
// A changed account (role, status): the command waits for the users projection, then bumps the
// user's generation (the projection bumps it around its commit too; this closes the instant
// between its commit and its second bump). The wait timing out: 503 `revocation_pending` too.
// A command that changed nothing (already revoked, same role) waits for the head of the log, so a
// retry after a 503 answers only once the earlier change is in force.

import type { CheckpointWaiter } from '../checkpoints/checkpoint-waiter.js';
import type { AccessChanges } from '../commands/identity/identity-service.js';
import type { EventStore, Position } from '../eventstore/types.js';
import { CacheKeys } from '../queries/cache/cache-keys.js';
import type { GenerationBumper } from '../queries/cache/generation-bumper.js';
import type { RevocationMarkStore } from '../queries/identity/revocation-marks.js';
import { HttpProblem } from './problem.js';

export interface AccessChangeDeps {
  marks: RevocationMarkStore;
  bump: GenerationBumper;
  keyPrefix: string;
  checkpoints: CheckpointWaiter;
  eventStore: Pick<EventStore, 'headPosition'>;
  timeoutMs: number;
}

export function accessChanges(deps: AccessChangeDeps): AccessChanges {
  const keys = new CacheKeys(deps.keyPrefix);
  const projected = async (projection: string, position: Position | undefined): Promise<boolean> => {
    const target = position ?? (await deps.eventStore.headPosition());
    return target === undefined || deps.checkpoints.waitFor([projection], target, deps.timeoutMs);
  };
  const pending = (what: string) =>
    new HttpProblem(503, 'revocation_pending', 'Change not yet in force', `the ${what} is recorded but not in force yet (the read model is behind); retry`, { retryAfterSeconds: 1 });

  return {
    async sessionRevoked(userId, sessionId, position) {
      const marked = await deps.marks.mark(userId, sessionId);
      await deps.bump([keys.userGen(userId)]);
      const inModel = await projected('sessions', position);
      if (inModel) await deps.bump([keys.userGen(userId)]);
      if (!marked && !inModel) throw pending('revocation');
    },
    async accountChanged(userId, position) {
      const inModel = await projected('users', position);
      if (!inModel) throw pending('change of the account');
      await deps.bump([keys.userGen(userId)]);
    },
  };
}
