// The sealing event store's contract (src/privacy, DESIGN.md §9): run over every adapter by the
// *.test.ts files beside it. Personal fields are ciphertext in the store, content to readers,
// {"$erased": true} once shredded — on readStream, readAll and subscribe alike.

import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../../support/eventually.js';
import { comparePositions, type EventStore, type RecordedEvent } from '../../../src/eventstore/index.js';
import { ERASED, isSealed, type PersonalDataDeclaration } from '../../../src/privacy/declarations.js';
import { ConsentWithdrawnError, NoLiveKeyError, SealIntegrityError, SubjectErasedError } from '../../../src/privacy/errors.js';
import { parseKekFile } from '../../../src/privacy/kek.js';
import { KeyStore } from '../../../src/privacy/key-store.js';
import { personalDataRegistry, sealEventStore } from '../../../src/privacy/sealing-event-store.js';
import { collect, take } from '../eventstore/contract.js';

export interface SealingTarget {
  /** The adapter, unwrapped. */
  store: EventStore;
  /** The database of the key store (migrated). */
  pool: pg.Pool;
  databaseUrl: string;
  cleanup(): Promise<void>;
}

const declarations: PersonalDataDeclaration = {
  NoteTaken: { fields: ['name', 'notes'], key: (stream) => ({ purpose: 'profile', subjectId: stream.slice(stream.indexOf('-') + 1) }) },
  FaceSeen: { fields: ['faces'], key: (stream) => ({ purpose: 'face_analysis', imageId: stream.slice(stream.indexOf('-') + 1) }) },
};

const kekRing = () => {
  const kid = 'test-kek';
  return parseKekFile(JSON.stringify({ active: kid, keys: { [kid]: randomBytes(32).toString('base64') } }), 'test KEK', 'file');
};

export function sealingContract(name: string, makeTarget: () => Promise<SealingTarget | undefined>): void {
  describe(`sealing event store: ${name}`, () => {
    let target: SealingTarget | undefined;
    let keys: KeyStore;
    let sealed: EventStore;
    const keks = kekRing();
    const prefix = `s${randomBytes(3).toString('hex')}`;

    beforeAll(async () => {
      target = await makeTarget();
      if (!target) return;
      keys = new KeyStore(target.pool, keks, { cacheEntries: 100, cacheTtlMs: 60_000, databaseUrl: target.databaseUrl });
      sealed = sealEventStore(target.store, keys, personalDataRegistry(declarations));
    }, 240_000);
    afterAll(async () => {
      await keys?.close();
      await target?.cleanup();
    });

    const subject = async () => {
      const id = randomUUID();
      await keys.ensureKey({ purpose: 'profile', subjectId: id });
      return { id, stream: `${prefix}p-${id}` };
    };
    const note = (name: string) => ({ type: 'NoteTaken', data: { name, notes: ['likes cats', 42], visits: 3 } });

    it('stores declared fields as ciphertext only, and every read opens them', async (ctx) => {
      if (!target) return ctx.skip();
      const s = await subject();
      await sealed.append(s.stream, [note('Ada Lovelace')], { expectedRevision: 'no_stream' });
      const [raw] = await collect(target.store.readStream(s.stream));
      const data = raw!.data as Record<string, unknown>;
      expect(isSealed(data.name) && isSealed(data.notes)).toBe(true);
      expect(data.visits).toBe(3);
      expect(JSON.stringify(raw!.data)).not.toContain('Ada');
      expect(JSON.stringify(raw!.data)).not.toContain('cats');
      const [read] = await collect(sealed.readStream(s.stream));
      expect(read!.data).toEqual({ name: 'Ada Lovelace', notes: ['likes cats', 42], visits: 3 });
      const all = (await collect(sealed.readAll({ filter: { streamPrefixes: [s.stream] } }))).map((e) => e.data);
      expect(all).toEqual([read!.data]);
      const sub = sealed.subscribe({ from: 'start', filter: { streamPrefixes: [s.stream] } });
      expect((await take(sub, 1))[0]!.data).toEqual(read!.data);
      await sub.close();
    });

    it('refuses an append whose subject has no live key, writing nothing', async (ctx) => {
      if (!target) return ctx.skip();
      const stream = `${prefix}p-${randomUUID()}`;
      await expect(sealed.append(stream, [note('Nobody')])).rejects.toBeInstanceOf(NoLiveKeyError);
      expect(await collect(target.store.readStream(stream))).toEqual([]);
    });

    it('after the key is shredded: every read shows the erasure mark, the key is gone, nothing new can be sealed for the subject', async (ctx) => {
      if (!target) return ctx.skip();
      const s = await subject();
      await sealed.append(s.stream, [note('Grace Hopper'), { type: 'Plain', data: { n: 1 } }]);
      const erasureId = randomUUID();
      const shredded = await keys.shred(erasureId, { subjectId: s.id });
      expect(shredded).toHaveLength(1);
      expect(await keys.shred(erasureId, { subjectId: s.id })).toEqual(shredded); // idempotent per erasure
      const { rows } = await target.pool.query('select wrapped from keys.data_keys where subject_id = $1', [s.id]);
      expect(rows).toEqual([{ wrapped: null }]);
      const erasedData = { name: ERASED, notes: ERASED, visits: 3 };
      expect((await collect(sealed.readStream(s.stream))).map((e) => e.data)).toEqual([erasedData, { n: 1 }]);
      expect((await collect(sealed.readAll({ filter: { streamPrefixes: [s.stream] } })))[0]!.data).toEqual(erasedData);
      const sub = sealed.subscribe({ from: 'start', filter: { streamPrefixes: [s.stream] } });
      expect((await take(sub, 1))[0]!.data).toEqual(erasedData);
      await sub.close();
      await expect(sealed.append(s.stream, [note('Grace again')])).rejects.toBeInstanceOf(NoLiveKeyError);
      await expect(keys.ensureKey({ purpose: 'profile', subjectId: s.id })).rejects.toBeInstanceOf(SubjectErasedError);
    });

    it('shreds one image scope without touching the subject, and refuses new keys for that image', async (ctx) => {
      if (!target) return ctx.skip();
      const owner = await subject();
      const [a, b] = [randomUUID(), randomUUID()];
      for (const image of [a, b]) {
        await keys.ensureKey({ purpose: 'face_analysis', subjectId: owner.id, imageId: image });
        await sealed.append(`${prefix}i-${image}`, [{ type: 'FaceSeen', data: { faces: [{ descriptor: [0.125, -0.5] }], count: 1 } }]);
      }
      await keys.shred(randomUUID(), { imageId: a });
      expect((await collect(sealed.readStream(`${prefix}i-${a}`)))[0]!.data).toEqual({ faces: ERASED, count: 1 });
      expect((await collect(sealed.readStream(`${prefix}i-${b}`)))[0]!.data).toEqual({ faces: [{ descriptor: [0.125, -0.5] }], count: 1 });
      await expect(keys.ensureKey({ purpose: 'face_analysis', subjectId: owner.id, imageId: a })).rejects.toBeInstanceOf(SubjectErasedError);
      await sealed.append(owner.stream, [note('still here')]);
    });

    it('a consent withdrawn after the caller checked it refuses the key (the upload/withdrawal race)', async (ctx) => {
      if (!target) return ctx.skip();
      const owner = await subject();
      const image = randomUUID();
      // The caller saw no withdrawal; one is recorded before its key is made.
      await keys.shred(randomUUID(), { subjectId: owner.id, purpose: 'face_analysis' });
      await expect(keys.ensureKey({ purpose: 'face_analysis', subjectId: owner.id, imageId: image, consentWithdrawals: 0 })).rejects.toBeInstanceOf(ConsentWithdrawnError);
      // Consent given again after that withdrawal (the caller saw it): allowed.
      await expect(keys.ensureKey({ purpose: 'face_analysis', subjectId: owner.id, imageId: image, consentWithdrawals: 1 })).resolves.toMatch(/^[0-9a-f-]{36}$/);
    });

    it('a sealed value moved to another event does not open (bound to stream, event and field)', async (ctx) => {
      if (!target) return ctx.skip();
      const s = await subject();
      await sealed.append(s.stream, [note('Mallory')]);
      const [raw] = await collect(target.store.readStream(s.stream));
      const stolen = (raw!.data as { name: unknown }).name;
      await target.store.append(s.stream, [{ type: 'NoteTaken', data: { name: stolen, visits: 0 } }]);
      await expect(collect(sealed.readStream(s.stream))).rejects.toBeInstanceOf(SealIntegrityError);
    });

    it('fields the reader omits (EventFilter.omitData): left out where the store leaves them out, else opened like the rest', async (ctx) => {
      if (!target) return ctx.skip();
      const s = await subject();
      await sealed.append(s.stream, [note('Omitted')]);
      const [e] = await collect(sealed.readAll({ filter: { streamPrefixes: [s.stream], omitData: { NoteTaken: ['notes'] } } }));
      // PostgreSQL leaves them out in SQL (a reader may read them back through localData);
      // EventStoreDB delivers them, and a reader without localData keeps them by value.
      if (target.store.localData) expect(e!.data).toEqual({ name: 'Omitted', visits: 3 });
      else expect(e!.data).toEqual({ name: 'Omitted', notes: ['likes cats', 42], visits: 3 });
    });

    it("a subscription's checkpoint never passes an event not yet delivered, and still moves past other streams", async (ctx) => {
      if (!target) return ctx.skip();
      const s = await subject();
      const stream = `${prefix}c-${randomUUID()}`;
      const n = 40;
      const appended = [];
      for (let i = 0; i < n; i++) appended.push((await sealed.append(stream, [{ type: 'Plain', data: { i } }])).position);
      const last = appended.at(-1)!;
      const sub = sealed.subscribe({ from: 'start', filter: { streamPrefixes: [stream] } });
      const it = sub[Symbol.asyncIterator]();
      const delivered: RecordedEvent[] = [];
      for (let i = 0; i < n; i++) {
        const next = await it.next();
        delivered.push(next.value as RecordedEvent);
        const cp = sub.checkpoint();
        if (cp && i < n - 1) expect(comparePositions(cp, appended[i + 1]!)).toBeLessThan(0);
      }
      // Only another stream moves on: the checkpoint follows it.
      const other = await sealed.append(s.stream, [note('elsewhere')]);
      void it.next(); // keeps the subscription reading; resolves only on a match (none comes)
      await eventually(() => {
        const cp = sub.checkpoint();
        return Promise.resolve(cp !== undefined && comparePositions(cp, other.position) >= 0);
      }, 'the checkpoint passes an event of another stream');
      expect(comparePositions(sub.checkpoint()!, last)).toBeGreaterThanOrEqual(0);
      await sub.close();
    });

    it('every process drops its cached key when another shreds it', async (ctx) => {
      if (!target) return ctx.skip();
      const other = new KeyStore(target.pool, keks, { cacheEntries: 100, cacheTtlMs: 60_000, databaseUrl: target.databaseUrl });
      try {
        const otherStore = sealEventStore(target.store, other, personalDataRegistry(declarations));
        const s = await subject();
        await sealed.append(s.stream, [note('Cached')]);
        expect((await collect(otherStore.readStream(s.stream)))[0]!.data).toMatchObject({ name: 'Cached' }); // cached there now
        await keys.shred(randomUUID(), { subjectId: s.id });
        await eventually(async () => ((await collect(otherStore.readStream(s.stream)))[0]!.data as { name: unknown }).name === ERASED || undefined, 'the other process reads the erasure mark');
      } finally {
        await other.close();
      }
    });
  });
}
