// The one generic command handler: load the stream, fold it, decide, append with the expected
// revision; on a concurrent write, start over (bounded).

import { randomUUID } from 'node:crypto';
import { DomainError, type Decider, type DomainEvent } from '../domain/decider.js';
import { foldRecorded, type FoldedStream } from '../domain/fold-recorded.js';
import { WrongExpectedRevisionError } from '../eventstore/errors.js';
import { prepareAppend } from '../eventstore/validation.js';
import type { EventStore, Position } from '../eventstore/types.js';
import type { CommandContext } from './context.js';

export const SCHEMA_VERSION = 1;

export interface CommandResult<S, E> {
  /** The events this command appended (empty when the command changed nothing). */
  events: E[];
  state: S;
  /** Position of the last appended event; undefined when nothing was appended. */
  position: Position | undefined;
  /** The stream's revision after the command, or undefined for a stream that does not exist. */
  revision: bigint | undefined;
}

export function loadStream<E extends DomainEvent, S>(store: EventStore, decider: Pick<Decider<unknown, E, S>, 'evolve' | 'initialState'>, stream: string): Promise<FoldedStream<S>> {
  return foldRecorded(decider, store.readStream(stream));
}

export interface HandleOptions {
  /** Attempts after the first when another writer got there first. */
  maxRetries?: number;
  /**
   * The stream is most likely new (an id just derived for it): the first attempt decides on the
   * initial state and appends with `no_stream`, without reading; if the stream exists after all,
   * the usual load → decide → append follows.
   */
  expectNew?: boolean;
}

function metadataOf(command: { type: string }, ctx: CommandContext, commandId: string) {
  return {
    correlationId: ctx.correlationId,
    causationId: ctx.causationId ?? commandId,
    commandId,
    commandType: command.type,
    actor: ctx.actor,
    schemaVersion: SCHEMA_VERSION,
  };
}

/**
 * For a use case that appends to more than one stream (registration: the e-mail claim, then the
 * user): decides `command` on the decider's initial state — what handleCommand will decide for a
 * stream that does not exist yet — and checks the events exactly as the store will (serialisable,
 * storable text, sizes against `store`'s own limits: 1 MiB per append on EventStoreDB), without
 * any I/O. Throws the decider's DomainError or the store's InvalidEventError, so the use case can
 * refuse before its first append.
 */
export function assertAppendable<C extends { type: string }, E extends DomainEvent, S>(
  store: Pick<EventStore, 'limits'>,
  decider: Decider<C, E, S>,
  stream: string,
  command: C,
  ctx: CommandContext,
): void {
  const events = decider.decide(command, decider.initialState);
  if (events.length === 0) return;
  const metadata = metadataOf(command, ctx, randomUUID());
  prepareAppend(
    stream,
    events.map((e) => ({ type: e.type, data: e.data, metadata })),
    'no_stream',
    store.limits,
  );
}

export async function handleCommand<C extends { type: string }, E extends DomainEvent, S>(
  store: EventStore,
  decider: Decider<C, E, S>,
  stream: string,
  command: C,
  ctx: CommandContext,
  opts: HandleOptions = {},
): Promise<CommandResult<S, E>> {
  const maxRetries = opts.maxRetries ?? 5;
  const commandId = randomUUID();
  for (let attempt = 0; ; attempt++) {
    const { state, revision } = attempt === 0 && opts.expectNew ? { state: decider.initialState, revision: undefined } : await loadStream(store, decider, stream);
    const events = decider.decide(command, state);
    if (events.length === 0) return { events, state, position: undefined, revision };
    const metadata = metadataOf(command, ctx, commandId);
    try {
      const result = await store.append(
        stream,
        events.map((e) => ({ type: e.type, data: e.data, metadata })),
        { expectedRevision: revision ?? 'no_stream' },
      );
      return { events, state: events.reduce((st, e) => decider.evolve(st, e), state), position: result.position, revision: result.nextRevision };
    } catch (err) {
      if (!(err instanceof WrongExpectedRevisionError)) throw err;
      if (attempt >= maxRetries) {
        throw new DomainError('conflict', 'concurrent_modification', `'${stream}' kept changing while the command ran; try again`);
      }
    }
  }
}
