import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toMatch(/^postgres:\/\/[^@/]+@localhost:5432\/facetrail$/);
    expect(loadConfig({ PGUSER: 'ada' }).databaseUrl).toBe('postgres://ada@localhost:5432/facetrail');
    expect(loadConfig({ DATABASE_URL: 'postgres://bob@db:5432/x' }).databaseUrl).toBe('postgres://bob@db:5432/x');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.eventStoreUrl).toBeUndefined();
    expect(c.port).toBe(3000);
    expect(c.role).toBe('all');
  });

  it('reads the recognition settings: a decimal threshold within 0–2, integer limits', () => {
    expect(loadConfig({}).recognition).toEqual({ matchThreshold: 0.45, maxFacesInMemory: 2_000_000, peopleMinFaces: 3 });
    expect(loadConfig({ RECOGNITION_MATCH_THRESHOLD: '0.6', FACE_INDEX_MAX_FACES: '5000', PEOPLE_MIN_FACES: '2' }).recognition).toEqual({ matchThreshold: 0.6, maxFacesInMemory: 5_000, peopleMinFaces: 2 });
    expect(() => loadConfig({ RECOGNITION_MATCH_THRESHOLD: '2.5' })).toThrow(/RECOGNITION_MATCH_THRESHOLD='2.5' must be a number from 0 to 2/);
    expect(() => loadConfig({ RECOGNITION_MATCH_THRESHOLD: '.5', PEOPLE_MIN_FACES: '1' })).toThrow(/RECOGNITION_MATCH_THRESHOLD='.5'[\s\S]*PEOPLE_MIN_FACES='1'/);
  });

  it('selects EventStoreDB with an esdb:// URL', () => {
    expect(loadConfig({ EVENT_STORE_URL: 'esdb://localhost:2113?tls=false' }).eventStoreUrl).toBe('esdb://localhost:2113?tls=false');
  });

  it('names the variable of every bad value', () => {
    const p = problems({ PORT: 'eighty', DATABASE_URL: 'mysql://x/y', REDIS_URL: '::', EVENT_STORE_URL: 'http://esdb:2113', LOG_LEVEL: 'loud' });
    expect(p).toHaveLength(5);
    expect(p.join('\n')).toMatch(/PORT='eighty'/);
    expect(p.join('\n')).toMatch(/DATABASE_URL must use postgres:/);
    expect(p.join('\n')).toMatch(/REDIS_URL is not a valid URL/);
    expect(p.join('\n')).toMatch(/EVENT_STORE_URL must use esdb:/);
    expect(p.join('\n')).toMatch(/LOG_LEVEL='loud'/);
  });

  it('rejects out-of-range numbers and a database URL without a database', () => {
    expect(problems({ PORT: '70000' })).toEqual(["PORT='70000' must be an integer from 0 to 65535"]);
    expect(problems({ DATABASE_URL: 'postgres://localhost:5432' })[0]).toMatch(/DATABASE_URL must name a database/);
  });

  it('in production, needs a metrics token and keeps the API docs off unless asked', () => {
    const key = { JWT_PRIVATE_KEY_FILE: '/run/secrets/jwt.pem', PRIVACY_KEK_FILE: '/run/secrets/kek.json' };
    expect(problems({ NODE_ENV: 'production', ...key })).toEqual(['METRICS_TOKEN must be set in production (GET /metrics then needs Authorization: Bearer <token>)']);
    expect(problems({ NODE_ENV: 'production', METRICS_TOKEN: 't', JWT_PRIVATE_KEY_FILE: '/run/secrets/jwt.pem' })).toEqual([
      'PRIVACY_KEK_FILE must be set in production (the key-encryption keys of personal data; README, "Privacy")',
    ]);
    const prod = loadConfig({ NODE_ENV: 'production', METRICS_TOKEN: 't', ...key });
    expect(prod.http.docs).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', METRICS_TOKEN: 't', API_DOCS: 'on', ...key }).http.docs).toBe(true);
    expect(loadConfig({}).http.docs).toBe(true);
    expect(loadConfig({ API_DOCS: 'off' }).http.docs).toBe(false);
  });
});
