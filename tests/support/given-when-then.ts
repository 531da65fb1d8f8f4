import { expect } from 'vitest';
import { DomainError, fold, type Decider, type DomainErrorKind, type DomainEvent } from '../../src/domain/decider.js';

/** given(decider, pastEvents).when(command).then(expectedEvents) or .thenFails(code[, kind]). */
export function given<C, E extends DomainEvent, S>(decider: Decider<C, E, S>, past: E[] = []) {
  return {
    when(command: C) {
      const run = () => decider.decide(command, fold(decider, past));
      return {
        then(expected: E[]) {
          expect(run()).toEqual(expected);
        },
        thenFails(code: string, kind?: DomainErrorKind) {
          let caught: unknown;
          try {
            run();
          } catch (err) {
            caught = err;
          }
          expect(caught, `expected DomainError ${code}`).toBeInstanceOf(DomainError);
          expect((caught as DomainError).code).toBe(code);
          if (kind !== undefined) expect((caught as DomainError).kind, `expected a ${kind} DomainError`).toBe(kind);
        },
      };
    },
  };
}
