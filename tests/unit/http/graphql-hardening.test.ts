// The pure parts of the GraphQL hardening: the iterative depth checks (no depth overflows them),
// the JSON-text check, the memo key (a hash: a few bytes whatever the variables weigh), the
// parsed-query cache size, and the WebSocket subscription slots.

import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { queryCacheEntries } from '../../../src/http/graphql/query-cache.js';
import { checkPostBody, jsonTextDepth, looksLikeJson, nestedDeeperThan } from '../../../src/http/graphql/request-shape.js';
import { memoKey } from '../../../src/http/graphql/response-memo.js';
import { releasing, WsGuard } from '../../../src/http/graphql/ws-guard.js';

/** An array nested `levels` deep, built without recursion. */
function nestedArray(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

describe('variables depth', () => {
  it('measures any depth without overflowing the stack (JSON.stringify overflows at 20 000)', () => {
    const deep = nestedArray(200_000);
    expect(() => JSON.stringify({ a: deep })).toThrow(RangeError);
    expect(nestedDeeperThan({ a: deep }, 32)).toBe(true);
    expect(jsonTextDepth(`{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`)).toBe(200_001);
  });

  it('counts the object itself as level 1, objects and arrays alike', () => {
    expect(nestedDeeperThan({}, 1)).toBe(false);
    expect(nestedDeeperThan({ a: 1, b: 'x', c: null }, 1)).toBe(false);
    expect(nestedDeeperThan({ a: [] }, 1)).toBe(true);
    expect(nestedDeeperThan({ a: { b: [1] } }, 3)).toBe(false);
    expect(nestedDeeperThan({ a: { b: [1] } }, 2)).toBe(true);
    expect(nestedDeeperThan({ wide: Array.from({ length: 10_000 }, () => ({ x: 1 })) }, 3)).toBe(false);
    expect(jsonTextDepth('{"a":{"b":[1]}}')).toBe(3);
    expect(jsonTextDepth('{"s":"[[[{{{","t":"\\"[["}')).toBe(1);
  });

  it('refuses bodies of the wrong shape with bad_request and deep ones with variables_too_deep', () => {
    const code = (body: unknown) => {
      try {
        checkPostBody(body, 4);
        return 'ok';
      } catch (err) {
        return (err as { extensions: { code: string } }).extensions.code;
      }
    };
    expect(code({ query: '{ a }', variables: { a: [[1]] }, operationName: 'A', extensions: {} })).toBe('ok');
    expect(code({ query: null, variables: null, operationName: null })).toBe('ok');
    expect(code([{ query: '{ a }' }])).toBe('ok'); // a batch: mercurius refuses it
    expect(code({ query: 1 })).toBe('bad_request');
    expect(code({ query: ['{ a }'] })).toBe('bad_request');
    expect(code({ query: '{ a }', variables: [] })).toBe('bad_request');
    expect(code({ query: '{ a }', operationName: 1 })).toBe('bad_request');
    expect(code('{ a }')).toBe('bad_request');
    expect(code({ query: '{ a }', variables: { a: [[[[1]]]] } })).toBe('variables_too_deep');
    expect(code({ query: '{ a }', extensions: { a: [[[[1]]]] } })).toBe('variables_too_deep');
  });
});

describe('query text that is JSON', () => {
  it('is recognised; GraphQL texts are not, and are not JSON-parsed when they cannot be JSON', () => {
    for (const text of ['123', ' "x" ', 'null', 'true', '[]', '{}', '{"kind":"Document"}', '-1']) expect(looksLikeJson(text), text).toBe(true);
    for (const text of ['{ me { id } }', '{me}', 'query { a }', 'fragment F on Q { a } { ...F }', '', '   ', 'nul', '{ "a" }']) expect(looksLikeJson(text), text).toBe(false);
  });
});

describe('response memo key', () => {
  it('is a few bytes whatever the variables weigh, and differs with caller, role, operation, variables and query', () => {
    const caller = { userId: 'u1', role: 'user' as const };
    const big = memoKey(caller, { query: '{ a }', variables: { junk: 'x'.repeat(900_000) } });
    expect(big.length).toBeLessThan(100);
    const base = memoKey(caller, { query: '{ a }', variables: { n: 1 } });
    const keys = [
      base,
      memoKey({ ...caller, userId: 'u2' }, { query: '{ a }', variables: { n: 1 } }),
      memoKey({ ...caller, role: 'admin' }, { query: '{ a }', variables: { n: 1 } }),
      memoKey(caller, { query: '{ a }', variables: { n: 1 }, operationName: 'A' }),
      memoKey(caller, { query: '{ a }', variables: { n: 2 } }),
      memoKey(caller, { query: '{ b }', variables: { n: 1 } }),
      memoKey(caller, { query: '{ a }' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(memoKey(caller, { query: '{ a }', variables: { n: 1 } })).toBe(base);
  });
});

describe('parsed-query cache', () => {
  it('holds as many documents as the byte budget allows for the largest one, at least 8', () => {
    // 64 MiB, 5 000 tokens: 2.5 MB a document, four slots each (two caches × two generations).
    expect(queryCacheEntries(64 * 1024 * 1024, 5_000)).toBe(8);
    expect(queryCacheEntries(256 * 1024 * 1024, 1_000)).toBe(131);
    expect(queryCacheEntries(1, 5_000)).toBe(8);
  });
});

class FakeSocket extends EventEmitter {
  closedWith: number | undefined;
  close(code: number) {
    this.closedWith = code;
    this.emit('close');
  }
}

describe('WebSocket subscription slots', () => {
  const limits = { initTimeoutMs: 60_000, maxSubscriptionsPerSocket: 2, maxSubscriptionsPerUser: 3 };
  const connect = (guard: WsGuard) => {
    const socket = new FakeSocket();
    guard.watch(socket as unknown as WebSocket);
    const { wsConnection } = guard.onConnectionInit(socket as unknown as WebSocket);
    return { socket, conn: wsConnection! };
  };
  const refusal = (f: () => unknown) => {
    try {
      f();
      return undefined;
    } catch (err) {
      return (err as { extensions: Record<string, unknown> }).extensions;
    }
  };

  it('caps per socket and per user, and gives slots back on release and on close', () => {
    const guard = new WsGuard(limits);
    const a = connect(guard);
    const b = connect(guard);
    const r1 = guard.acquire(a.conn, '1', 'u');
    guard.acquire(a.conn, '2', 'u');
    expect(refusal(() => guard.acquire(a.conn, '3', 'u'))).toMatchObject({ code: 'too_many_subscriptions', scope: 'connection', status: 429 });
    guard.acquire(b.conn, '1', 'u');
    expect(refusal(() => guard.acquire(b.conn, '2', 'u'))).toMatchObject({ code: 'too_many_subscriptions', scope: 'user' });
    expect(guard.acquire(b.conn, '2', 'someone else')).toBeTypeOf('function');
    r1();
    r1(); // idempotent
    expect(guard.heldBy('u')).toBe(2);
    guard.acquire(a.conn, '3', 'u');
    expect(guard.heldBy('u')).toBe(3);
    a.socket.close(1000);
    expect(guard.heldBy('u')).toBe(1);
    b.socket.close(1000);
    expect(guard.heldBy('u')).toBe(0);
    expect(guard.heldBy('someone else')).toBe(0);
  });

  it('closes the socket on a reused id (4409) and on a second connection_init (4429)', () => {
    const guard = new WsGuard(limits);
    const a = connect(guard);
    guard.acquire(a.conn, 'x', 'u');
    expect(refusal(() => guard.acquire(a.conn, 'x', 'u'))).toMatchObject({ code: 'subscription_id_in_use' });
    expect(a.socket.closedWith).toBe(4409);
    const b = connect(guard);
    guard.onConnectionInit(b.socket as unknown as WebSocket);
    expect(b.socket.closedWith).toBe(4429);
  });

  it('releases when the iterator ends, fails or is returned, even before its first step', async () => {
    let released = 0;
    const release = () => void released++;
    async function* two() {
      yield await Promise.resolve(1);
      yield 2;
    }
    const done = releasing(two(), release);
    expect([(await done.next()).value, (await done.next()).value, (await done.next()).done]).toEqual([1, 2, true]);
    expect(released).toBe(1);
    released = 0;
    await releasing(two(), release).return!(undefined);
    expect(released).toBe(1);
    released = 0;
    async function* failing(): AsyncGenerator<number> {
      yield await Promise.reject(new Error('boom'));
    }
    await expect(releasing(failing(), release).next()).rejects.toThrow('boom');
    expect(released).toBe(1);
  });
});
