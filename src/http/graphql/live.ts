// The Redis path of live GraphQL subscriptions. Projector side: after the images projection
// commits a batch, read the changed images (one query) and publish each on two topics, the image's
// and its owner's. API side: mercurius subscribes through an mqemitter-redis emitter, so an API
// process is notified whichever process runs the projector. Messages are mqemitter-redis'
// (msgpack over Redis PUBLISH); topics carry REDIS_KEY_PREFIX.

import type { Redis } from 'ioredis';
import MQEmitterRedis from 'mqemitter-redis';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { reportRedisError } from '../../db/redis-outage.js';
import type { LocalEventData, RecordedEvent } from '../../eventstore/types.js';
import type { FieldOpener } from '../../privacy/sealing-event-store.js';
import { ImagesQuery, type ImageSnapshot } from '../../queries/images/images-query.js';
import { PERSON_STREAM_PREFIX } from '../../domain/people/person-events.js';
import { PeopleQuery } from '../../queries/people/people-query.js';

type Emitter = ReturnType<typeof MQEmitterRedis>;

/** mqemitter topics: '/'-separated, '+' and '#' are wildcards (kept out of the prefix). */
export function liveTopics(redisKeyPrefix: string) {
  const base = `${redisKeyPrefix.replace(/[+#/]/g, '_')}graphql`;
  return {
    image: (imageId: string) => `${base}/image/${imageId}`,
    owner: (userId: string) => `${base}/owner/${userId}`,
    person: (personId: string) => `${base}/person/${personId}`,
    /** Every change to any of an owner's people (myPeople). */
    people: (ownerId: string) => `${base}/people/${ownerId}`,
  };
}

/** What each message carries: the image as the projection committed it. */
export type ImageNotice = ImageSnapshot;

const IMAGE_STREAM = /^image-([0-9a-f-]{36})$/;

/** The ids of the images a batch changed, from its events' streams (`image-<uuid>`). */
export function changedImageIds(events: readonly RecordedEvent[]): string[] {
  const ids = new Set<string>();
  for (const e of events) {
    const id = IMAGE_STREAM.exec(e.stream)?.[1];
    if (id) ids.add(id);
  }
  return [...ids];
}

/**
 * The after-commit hook of the projector processes. It publishes over the runtime's own Redis
 * connection (no connection of its own to close); the emitter never subscribes.
 */
export function imageNotifications(rt: {
  config: Pick<Config, 'redisKeyPrefix'>;
  logger: Pick<Logger, 'warn'>;
  redis: Redis;
  pool: pg.Pool;
  localData: LocalEventData | undefined;
  opener: Pick<FieldOpener, 'openValues'>;
}): (projection: string, events: readonly RecordedEvent[]) => Promise<void> {
  // Snapshots only (the notices carry no faces); their filenames are read by reference and opened.
  const images = new ImagesQuery(rt.pool, rt.localData, rt.opener);
  const topics = liveTopics(rt.config.redisKeyPrefix);
  const emitter = MQEmitterRedis({ pubConn: rt.redis, subConn: rt.redis });
  onEmitterError(emitter, rt.logger);
  const emit = (topic: string, payload: ImageNotice) =>
    new Promise<void>((resolve, reject) => {
      emitter.emit({ topic, payload }, (err) => (err ? reject(err) : resolve()));
    });
  return async (projection, events) => {
    if (projection !== 'images') return;
    const ids = changedImageIds(events);
    if (ids.length === 0) return;
    const snapshots = await images.snapshots(ids);
    await Promise.all(snapshots.flatMap((s) => [emit(topics.image(s.image.imageId), s), emit(topics.owner(s.image.ownerId), s)]));
  };
}

/**
 * The same for people (personUpdated): after the people projection commits, each changed person as
 * its owner reads it (GET /v1/people/{id}) on the person's topic and on its owner's people topic
 * (myPeople: a person the reactor just made has no subscriber of its own yet).
 */
export function personNotifications(rt: { config: Pick<Config, 'redisKeyPrefix'>; logger: Pick<Logger, 'warn'>; redis: Redis; pool: pg.Pool }): (projection: string, events: readonly RecordedEvent[]) => Promise<void> {
  const people = new PeopleQuery(rt.pool, undefined);
  const topics = liveTopics(rt.config.redisKeyPrefix);
  const emitter = MQEmitterRedis({ pubConn: rt.redis, subConn: rt.redis });
  onEmitterError(emitter, rt.logger);
  return async (projection, events) => {
    if (projection !== 'people') return;
    const ids = [...new Set(events.filter((e) => e.stream.startsWith(PERSON_STREAM_PREFIX)).map((e) => e.stream.slice(PERSON_STREAM_PREFIX.length)))];
    for (const { ownerId, personId } of await people.ownersOf(ids)) {
      const person = await people.get(ownerId, personId);
      if (!person) continue;
      for (const topic of [topics.person(personId), topics.people(ownerId)]) {
        await new Promise<void>((resolve, reject) => {
          emitter.emit({ topic, payload: { person } }, (err) => (err ? reject(err) : resolve()));
        });
      }
    }
  };
}

/** The API side's emitter: two Redis connections of its own (subscriber and publisher). */
export function subscriberEmitter(config: Pick<Config, 'redisUrl'>, logger: Pick<Logger, 'warn'>): { emitter: Emitter; close(): Promise<void> } {
  const emitter = MQEmitterRedis({ connectionString: config.redisUrl, maxRetriesPerRequest: null, retryStrategy: (attempt: number) => Math.min(attempt * 200, 5_000) });
  onEmitterError(emitter, logger);
  return {
    emitter,
    async close() {
      // quit() waits for Redis; when Redis is gone, drop the connections after a short wait.
      // Only connections still open: disconnect() on an ended ioredis connection arms a 2 s timer
      // that holds the process up at exit.
      const conns = emitter as unknown as { subConn: IoredisLike; pubConn: IoredisLike };
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => emitter.close(() => resolve())),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000))),
      ]);
      clearTimeout(timer);
      for (const conn of [conns.subConn, conns.pubConn]) if (conn.status !== 'end') conn.disconnect();
    },
  };
}

interface IoredisLike {
  status: string;
  disconnect(): void;
}

function onEmitterError(emitter: Emitter, logger: Pick<Logger, 'warn'>): void {
  (emitter as unknown as { state: NodeJS.EventEmitter }).state.on('error', (err: Error) => reportRedisError(logger, 'live notifications', err));
}
