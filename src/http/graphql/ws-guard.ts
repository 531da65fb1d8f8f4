// What bounds a GraphQL WebSocket (graphql-transport-ws), which mercurius does not: a socket must
// send `connection_init` within GRAPHQL_WS_INIT_TIMEOUT_MS (else close 4408, as the protocol says)
// and only once (4429); a subscription id is used once at a time (4409); a socket holds at most
// GRAPHQL_WS_MAX_SUBSCRIPTIONS_PER_SOCKET subscriptions and a user at most
// GRAPHQL_WS_MAX_SUBSCRIPTIONS_PER_USER in this process (each API process counts its own sockets:
// behind a load balancer a user may hold that many per process). A refused subscription gets an
// `error` message with `too_many_subscriptions` (429) and the socket stays open.
//
// A slot is taken before the subscription's resolver runs and given back when its iterator ends
// (completed by the server, stopped by the client, or returned by mercurius) or when the socket
// closes, whichever comes first (every release is idempotent).

import type { GraphQLError } from 'graphql';
import type { WebSocket } from 'ws';
import { gqlError } from './errors.js';

export interface WsLimits {
  initTimeoutMs: number;
  maxSubscriptionsPerSocket: number;
  maxSubscriptionsPerUser: number;
}

/** graphql-transport-ws close codes. */
export const WS_CLOSE = { unauthorized: 4401, initTimeout: 4408, subscriberExists: 4409, tooManyInits: 4429 } as const;

/** How long a socket whose token was refused stays open: for the `error` message to go out first. */
export const REFUSED_SOCKET_GRACE_MS = 1_000;

/**
 * A connection whose token was refused (context.ts wsAuthenticate): the socket is closed with 4401
 * and the code as the reason after a grace in which a subscription still gets the coded error as
 * its `error` message (mercurius sends what the hook throws). Returns `error`; idempotent.
 */
export function refuseSocket(conn: WsConnection | undefined, error: GraphQLError): GraphQLError {
  const code = typeof error.extensions.code === 'string' ? error.extensions.code : 'unauthorized';
  if (conn && !conn.refused) {
    conn.refused = true;
    setTimeout(() => conn.socket.close(WS_CLOSE.unauthorized, code), REFUSED_SOCKET_GRACE_MS).unref();
  }
  return error;
}

/** One socket, as the subscription resolvers see it (in their context: `wsConnection`). */
export class WsConnection {
  /** Subscription id → the release of its slot. */
  readonly held = new Map<string, () => void>();
  initialised = false;
  timer: NodeJS.Timeout | undefined;
  /** The payload of its connection_init (the token), read off the socket before mercurius handles the message. */
  initPayload: unknown;
  /** Its token was refused: the socket is being closed (refuseSocket). */
  refused = false;
  constructor(readonly socket: WebSocket) {}
}

export class WsGuard {
  private readonly connections = new WeakMap<WebSocket, WsConnection>();
  private readonly perUser = new Map<string, number>();

  constructor(private readonly limits: WsLimits) {}

  /** Starts the connection_init clock of a socket the server just accepted. */
  watch(socket: WebSocket): void {
    const conn = new WsConnection(socket);
    this.connections.set(socket, conn);
    conn.timer = setTimeout(() => {
      if (!conn.initialised) socket.close(WS_CLOSE.initTimeout, 'Connection initialisation timeout');
    }, this.limits.initTimeoutMs);
    // mercurius hands the subscription context (where the caller is authenticated) the socket but
    // not the connection_init payload: keep it as it arrives (this listener runs before mercurius',
    // which is added after watch). Only until the first connection_init.
    const onMessage = (raw: unknown) => {
      try {
        const message = JSON.parse(String(raw)) as { type?: unknown; payload?: unknown } | null;
        if (message?.type !== 'connection_init') return;
        conn.initPayload = message.payload ?? {};
        socket.off('message', onMessage);
      } catch {
        // not JSON: mercurius answers it
      }
    };
    socket.on('message', onMessage);
    socket.once('close', () => {
      clearTimeout(conn.timer);
      for (const release of [...conn.held.values()]) release();
    });
  }

  /** mercurius `subscription.context`, called at each connection_init: stops the clock. */
  onConnectionInit(socket: WebSocket): { wsConnection?: WsConnection } {
    const conn = this.connections.get(socket);
    if (!conn) return {};
    if (conn.initialised) {
      socket.close(WS_CLOSE.tooManyInits, 'Too many initialisation requests');
      return {};
    }
    conn.initialised = true;
    clearTimeout(conn.timer);
    return { wsConnection: conn };
  }

  /** Subscriptions a user holds in this process. */
  heldBy(userId: string): number {
    return this.perUser.get(userId) ?? 0;
  }

  /**
   * Refuses (4409) an id already running on `conn`. Called as the subscribe message arrives, before
   * mercurius files the new subscription under that id (it would orphan the running one's context:
   * that subscription would never be unsubscribed), and again in acquire for ids that race.
   */
  checkId(conn: WsConnection | undefined, id: string): void {
    if (!conn?.held.has(id)) return;
    conn.socket.close(WS_CLOSE.subscriberExists, `Subscriber for ${id.slice(0, 64)} already exists`);
    throw gqlError('subscription_id_in_use', `a subscription with id ${id.slice(0, 64)} is already running on this connection`, 409);
  }

  /** Takes the slot of subscription `id` of `userId` on `conn`, or throws; returns its release. */
  acquire(conn: WsConnection, id: string, userId: string): () => void {
    this.checkId(conn, id);
    const { maxSubscriptionsPerSocket: perSocket, maxSubscriptionsPerUser: perUser } = this.limits;
    if (conn.held.size >= perSocket) throw gqlError('too_many_subscriptions', `at most ${perSocket} subscriptions per connection`, 429, { limit: perSocket, scope: 'connection' });
    const count = this.heldBy(userId);
    if (count >= perUser) throw gqlError('too_many_subscriptions', `at most ${perUser} subscriptions per user`, 429, { limit: perUser, scope: 'user' });
    this.perUser.set(userId, count + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      conn.held.delete(id);
      const left = this.heldBy(userId) - 1;
      if (left > 0) this.perUser.set(userId, left);
      else this.perUser.delete(userId);
    };
    conn.held.set(id, release);
    return release;
  }
}

/** `iterable`, calling `release` once when it ends, fails, or is returned (even before its first step). */
export function releasing<T>(iterable: AsyncIterable<T>, release: () => void): AsyncIterableIterator<T> {
  const it = iterable[Symbol.asyncIterator]();
  return {
    async next() {
      try {
        const step = await it.next();
        if (step.done) release();
        return step;
      } catch (err) {
        release();
        throw err;
      }
    },
    async return(value?: unknown) {
      release();
      return it.return ? await it.return(value) : { done: true, value: value as T };
    },
    async throw(err?: unknown) {
      release();
      if (it.throw) return await it.throw(err);
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
