// KEK rotation: data keys wrapped under the old key-encryption key are re-wrapped under the new
// one, after which a key file without the old KEK still opens everything; and a KEK file that is
// wrong is refused with a message naming the problem.

import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { KekConfigError } from '../../../src/privacy/errors.js';
import { parseKekFile } from '../../../src/privacy/kek.js';
import { KeyStore } from '../../../src/privacy/key-store.js';

const key = () => randomBytes(32).toString('base64');
const ring = (active: string, keys: Record<string, string>) => parseKekFile(JSON.stringify({ active, keys }), 'test KEK', 'file');

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('kek_rotation');
});
afterAll(async () => {
  await db.drop();
});

describe('key-encryption keys', () => {
  it('rotates: re-wrap under the new KEK, then the old one can be removed', async () => {
    const [a, b] = [key(), key()];
    const subjectId = randomUUID();
    const before = new KeyStore(db.pool, ring('a', { a }), { cacheEntries: 10, cacheTtlMs: 60_000 });
    const kid = await before.ensureKey({ purpose: 'profile', subjectId });
    const secretHash = await before.keyedHash('email-claim', 'x@example.org');
    const original = (await before.keys([kid])).get(kid)!;
    await before.close();

    const during = new KeyStore(db.pool, ring('b', { a, b }), { cacheEntries: 10, cacheTtlMs: 60_000 });
    expect(await during.rewrapAll()).toBe(2); // the data key and the secret
    expect(await during.rewrapAll()).toBe(0);
    await during.close();
    const { rows } = await db.pool.query('select kek_id from keys.data_keys where kid = $1', [kid]);
    expect(rows).toEqual([{ kek_id: 'b' }]);

    const after = new KeyStore(db.pool, ring('b', { b }), { cacheEntries: 10, cacheTtlMs: 60_000 });
    expect((await after.keys([kid])).get(kid)).toEqual(original);
    expect(await after.keyedHash('email-claim', 'x@example.org')).toBe(secretHash);
    await after.close();

    // Without the KEK a key is wrapped under, it is an error that names it — never a silent "erased".
    const wrong = new KeyStore(db.pool, ring('c', { c: key() }), { cacheEntries: 10, cacheTtlMs: 60_000 });
    await expect(wrong.keys([kid])).rejects.toThrow(/wrapped under key-encryption key b/);
    await wrong.close();
  });

  it('refuses a key file that cannot be used, naming why', () => {
    expect(() => parseKekFile('nope', 'f', 'file')).toThrow(KekConfigError);
    expect(() => parseKekFile(JSON.stringify({ active: 'x', keys: { y: key() } }), 'f', 'file')).toThrow(/"active" must name one of the keys \(y\)/);
    expect(() => parseKekFile(JSON.stringify({ active: 'x', keys: { x: randomBytes(16).toString('base64') } }), 'f', 'file')).toThrow(/exactly 32 bytes/);
    expect(() => parseKekFile(JSON.stringify({ active: 'a b', keys: { 'a b': key() } }), 'f', 'file')).toThrow(/key id/);
  });
});
