// The GraphQL WebSocket's bounds (issue 13, item 8), spoken in raw graphql-transport-ws so that
// every message and close code is visible: a socket without connection_init is closed with 4408
// after GRAPHQL_WS_INIT_TIMEOUT_MS (it stayed open 90 s), a second connection_init with 4429, a
// reused subscription id with 4409, a message over GRAPHQL_MAX_BODY_BYTES with 1009; a socket holds at most GRAPHQL_WS_MAX_SUBSCRIPTIONS_PER_SOCKET
// subscriptions and a user at most GRAPHQL_WS_MAX_SUBSCRIPTIONS_PER_USER (200 were accepted on one
// socket); a slot is given back when its subscription completes or its socket closes.

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { positionToCursor } from '../../src/eventstore/position.js';
import { liveTopics } from '../../src/http/graphql/live.js';
import { eventually } from '../../support/eventually.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor } from '../support/audit.js';
import { userContext } from '../support/image-samples.js';
import { consentingOwner } from '../support/consent.js';

let t: TestApp;
let png: Buffer;
const sockets: WebSocket[] = [];
const imageIds: string[] = [];

interface Message {
  type: string;
  id?: string;
  payload?: unknown;
}

/** A raw graphql-transport-ws socket: every message it receives, and how it closed. */
class Socket {
  readonly messages: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString()) as Message);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async open(): Promise<Socket> {
    const ws = new WebSocket(`${t.baseUrl.replace('http://', 'ws://')}/graphql`, 'graphql-transport-ws');
    sockets.push(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Socket(ws);
  }

  send(message: Message): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The first message (from the start) that matches; waits for it. */
  async next(match: (m: Message) => boolean, what: string): Promise<Message> {
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (this.ws.readyState !== WebSocket.OPEN) throw new Error(`socket closed while waiting for ${what}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async init(token: string): Promise<void> {
    this.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    await this.next((m) => m.type === 'connection_ack', 'connection_ack');
  }

  /** Subscribes to the image and returns the first answer: its `next` or its `error`. */
  async subscribe(id: string, image: { imageId: string; position: string }): Promise<Message> {
    this.send({ id, type: 'subscribe', payload: { query: 'subscription($id: ID!, $c: String) { imageUpdated(id: $id, consistentWith: $c) { id } }', variables: { id: image.imageId, c: image.position } } });
    return this.next((m) => m.id === id && (m.type === 'next' || m.type === 'error'), `the answer to subscription ${id}`);
  }
}

const codeOf = (m: Message) => (m.payload as { extensions?: { code?: string; scope?: string } }[])[0]?.extensions;

async function userWithImage(email: string): Promise<{ token: string; image: { imageId: string; position: string } }> {
  const user = await tokenFor(t, email, 'user');
  await consentingOwner(t.runtime.eventStore, user.userId);
  const up = await t.images.upload({ ownerId: user.userId, filename: 'x.png', contentType: 'image/png', data: png, width: 8, height: 8 }, userContext(user.userId));
  imageIds.push(up.imageId);
  return { token: user.token, image: { imageId: up.imageId, position: positionToCursor(up.position) } };
}

beforeAll(async () => {
  t = await startTestApp('gql_hardening_ws', {
    GRAPHQL_WS_INIT_TIMEOUT_MS: '300',
    GRAPHQL_WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '3',
    GRAPHQL_WS_MAX_SUBSCRIPTIONS_PER_USER: '5',
  });
  png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
}, 60_000);
afterAll(async () => {
  // Close the sockets and wait until the server has ended their subscriptions (no subscriber
  // left on the images' channels) before the app closes its Redis connections under them.
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close();
        }),
    ),
  );
  if (t) {
    const topics = liveTopics(t.runtime.config.redisKeyPrefix);
    await eventually(async () => {
      for (const id of imageIds) {
        const [, count] = (await t.runtime.redis.pubsub('NUMSUB', topics.image(id))) as [string, number];
        if (count > 0) return false;
      }
      return true;
    }, 'every subscription ended');
  }
  await t?.stop();
});

describe('GraphQL WebSocket bounds', () => {
  it('closes a socket that sends no connection_init in time with 4408; an initialised one stays open', { timeout: 30_000 }, async () => {
    const { token } = await userWithImage('ws-init@example.com');
    const [silent, talking] = await Promise.all([Socket.open(), Socket.open()]);
    await talking.init(token);
    const outcome = await Promise.race([silent.closed, new Promise<string>((resolve) => setTimeout(() => resolve('still open after 15 s'), 15_000))]);
    expect(outcome).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
    expect(talking.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes a socket that sends connection_init twice with 4429', async () => {
    const { token } = await userWithImage('ws-twice@example.com');
    const socket = await Socket.open();
    await socket.init(token);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    expect((await socket.closed).code).toBe(4429);
  });

  it('closes a socket that reuses a running subscription id with 4409', async () => {
    const { token, image } = await userWithImage('ws-reuse@example.com');
    const socket = await Socket.open();
    await socket.init(token);
    expect((await socket.subscribe('a', image)).type).toBe('next');
    socket.send({ id: 'a', type: 'subscribe', payload: { query: 'subscription($id: ID!) { imageUpdated(id: $id) { id } }', variables: { id: image.imageId } } });
    expect((await socket.closed).code).toBe(4409);
  });

  it('closes a socket that sends a message over GRAPHQL_MAX_BODY_BYTES (256 KiB; mercurius allows 1 MiB) with 1009', async () => {
    const { token } = await userWithImage('ws-big@example.com');
    const socket = await Socket.open();
    await socket.init(token);
    socket.send({ id: 'big', type: 'subscribe', payload: { query: '{ __typename }', variables: { junk: 'x'.repeat(300 * 1024) } } });
    expect((await socket.closed).code).toBe(1009);
  });

  it('refuses a subscription beyond the per-socket cap (too_many_subscriptions) and takes one again once a slot is free', async () => {
    const { token, image } = await userWithImage('ws-socket-cap@example.com');
    const socket = await Socket.open();
    await socket.init(token);
    for (const id of ['1', '2', '3']) expect((await socket.subscribe(id, image)).type, `subscription ${id}`).toBe('next');
    const refused = await socket.subscribe('4', image);
    expect(refused.type).toBe('error');
    expect(codeOf(refused)).toMatchObject({ code: 'too_many_subscriptions', scope: 'connection', limit: 3 });
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    // The client completes one: its slot is free for the next subscription.
    socket.send({ id: '1', type: 'complete' });
    expect((await socket.subscribe('5', image)).type).toBe('next');
  });

  it('refuses a subscription beyond the per-user cap across sockets, and frees the slots of a closed socket', async () => {
    const { token, image } = await userWithImage('ws-user-cap@example.com');
    const [a, b] = await Promise.all([Socket.open(), Socket.open()]);
    await a.init(token);
    await b.init(token);
    for (const id of ['a1', 'a2', 'a3']) expect((await a.subscribe(id, image)).type).toBe('next');
    for (const id of ['b1', 'b2']) expect((await b.subscribe(id, image)).type).toBe('next');
    const refused = await b.subscribe('b3', image);
    expect(refused.type).toBe('error');
    expect(codeOf(refused)).toMatchObject({ code: 'too_many_subscriptions', scope: 'user', limit: 5 });
    a.ws.close();
    await a.closed;
    let attempt = 0;
    await eventually(async () => (await b.subscribe(`b-again-${attempt++}`, image)).type === 'next', 'a slot freed by the closed socket');
  });
});
