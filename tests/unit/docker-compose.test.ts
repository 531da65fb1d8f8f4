// docker-compose.yml and the Dockerfile, checked without a Docker engine: every app service's
// environment must be read by src/config.ts and parse with loadConfig, URLs must point at the
// compose services with matching credentials and ports, health checks and depends_on conditions
// must be present, host ports unique, named volumes declared, and the image built in stages that
// end as a non-root user. The two helper scripts the image ships are run for real.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadSigningKeys } from '../../src/auth/keys.js';
import { configVariableNames, loadConfig } from '../../src/config.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const APP_SERVICES = ['api', 'projector', 'worker'] as const;
const INFRA_SERVICES = ['eventstore', 'postgres', 'redis'] as const;

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean> | string[];
  ports?: (string | { published?: string | number; target?: number; host_ip?: string })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  healthcheck?: { test?: string[] | string; interval?: string; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  restart?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** Compose interpolation with an empty shell environment: `${X:-default}`, `${X-default}`, `${X}`, `$$`. */
function interpolate(text: string): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (whole, _name: string | undefined, fallback: string | undefined) =>
    whole === '$$' ? '$' : (fallback ?? ''),
  );
}

const composeText = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(interpolate(composeText), { merge: true }) as ComposeFile;
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');

function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((line) => {
        const i = line.indexOf('=');
        return i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

function svc(name: string): Service {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

/** Host ports a service publishes, as `ip:port` (ip `0.0.0.0` when not bound to one). */
function publishedPorts(service: Service): { host: string; container: number }[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'object') return { host: `${p.host_ip ?? '0.0.0.0'}:${String(p.published)}`, container: Number(p.target) };
    const parts = String(p).split(':');
    const container = Number(parts.at(-1));
    if (parts.length === 3) return { host: `${parts[0]}:${parts[1]}`, container };
    if (parts.length === 2) return { host: `0.0.0.0:${parts[0]}`, container };
    throw new Error(`port '${String(p)}' publishes no fixed host port`);
  });
}

function namedVolumes(service: Service): { source: string; target: string }[] {
  return (service.volumes ?? []).flatMap((v) => {
    if (typeof v === 'object') return v.type === 'volume' || v.type === undefined ? [{ source: v.source ?? '', target: v.target ?? '' }] : [];
    const [source = '', target = ''] = v.split(':');
    return source.startsWith('.') || source.startsWith('/') || source.startsWith('~') ? [] : [{ source, target }];
  });
}

describe('docker-compose.yml', () => {
  it('has the infrastructure, the key step and one service per role, with pinned images', () => {
    for (const name of [...INFRA_SERVICES, ...APP_SERVICES, 'jwt-key']) expect(compose.services, name).toHaveProperty(name);
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.image, `${name} has an image`).toBeTruthy();
      const tag = s.image!.split(':')[1];
      if (s.build) expect(tag, `${name}: built image is tagged`).toBeTruthy();
      else expect(tag, `${name}: ${s.image} pins a version`).toMatch(/^[0-9]+\.[0-9]+/);
    }
    expect(svc('eventstore').image).toMatch(/^eventstore\/eventstore:24\.10/);
  });

  it('runs every app service on a configuration src/config.ts reads and accepts', () => {
    const known = new Set(configVariableNames());
    for (const name of APP_SERVICES) {
      const env = envOf(svc(name));
      const unknown = Object.keys(env).filter((k) => !known.has(k));
      expect(unknown, `${name}: variables src/config.ts does not read`).toEqual([]);
      const config = loadConfig(env);
      expect(config.role).toBe(name);
      expect(config.nodeEnv).toBe('production');
      expect(config.host).toBe('0.0.0.0');
      expect(config.auth.privateKeyFile, `${name}: production needs a JWT key`).toBeTruthy();
      expect(config.metrics.token, `${name}: /metrics is protected`).toBeTruthy();
    }
  });

  it('points the app at the compose services with their credentials, ports and settings', () => {
    const pg = envOf(svc('postgres'));
    const esdb = envOf(svc('eventstore'));
    for (const name of APP_SERVICES) {
      const config = loadConfig(envOf(svc(name)));
      const db = new URL(config.databaseUrl);
      expect(db.hostname).toBe('postgres');
      expect(db.port || '5432').toBe('5432');
      expect(decodeURIComponent(db.username)).toBe(pg.POSTGRES_USER);
      expect(decodeURIComponent(db.password)).toBe(pg.POSTGRES_PASSWORD);
      expect(db.pathname).toBe(`/${pg.POSTGRES_DB}`);

      expect(new URL(config.redisUrl).hostname).toBe('redis');
      expect(new URL(config.redisUrl).port || '6379').toBe('6379');

      expect(config.eventStoreUrl).toMatch(/^esdb:\/\//);
      const es = new URL(config.eventStoreUrl!);
      expect(es.hostname).toBe('eventstore');
      expect(es.port).toBe(esdb.EVENTSTORE_NODE_PORT);
      expect(es.searchParams.get('tls'), 'insecure node: tls=false').toBe('false');
    }
    expect(esdb.EVENTSTORE_INSECURE).toBe('true');
    expect(esdb.EVENTSTORE_CLUSTER_SIZE).toBe('1');

    const redisCommand = [svc('redis').command ?? []].flat().join(' ');
    expect(redisCommand).toMatch(/--maxmemory-policy noeviction/);
    expect(redisCommand).toMatch(/--appendonly yes/);
  });

  it('gives every long-running service a health check, the app ones on /readyz of their own PORT', () => {
    for (const name of [...INFRA_SERVICES, ...APP_SERVICES]) {
      const hc = svc(name).healthcheck;
      expect(hc?.test, `${name} health check`).toBeTruthy();
      expect(hc?.disable).not.toBe(true);
    }
    for (const name of APP_SERVICES) {
      const test = [svc(name).healthcheck!.test!].flat();
      expect(test.slice(0, 3)).toEqual(['CMD', 'node', 'docker/healthcheck.js']);
      expect(['/readyz', '/healthz']).toContain(test[3]);
    }
    expect(svc('jwt-key').healthcheck).toBeUndefined(); // a one-shot step
  });

  it('starts the app only after its dependencies are healthy and the key exists', () => {
    for (const name of APP_SERVICES) {
      const deps = svc(name).depends_on;
      expect(deps && !Array.isArray(deps), `${name}: depends_on with conditions`).toBe(true);
      const conditions = deps as Record<string, { condition?: string }>;
      for (const infra of INFRA_SERVICES) expect(conditions[infra]?.condition, `${name} → ${infra}`).toBe('service_healthy');
      expect(conditions['jwt-key']?.condition).toBe('service_completed_successfully');
      for (const dep of Object.keys(conditions)) expect(compose.services, `${name} depends on ${dep}`).toHaveProperty(dep);
    }
  });

  it('publishes each host port once, the API on its PORT and nothing of PostgreSQL or Redis', () => {
    const all = Object.entries(compose.services).flatMap(([name, s]) => publishedPorts(s).map((p) => ({ name, ...p })));
    const hostPorts = all.map((p) => p.host.split(':')[1]);
    expect(new Set(hostPorts).size, `duplicate host ports: ${hostPorts.join(', ')}`).toBe(hostPorts.length);
    const api = publishedPorts(svc('api'));
    expect(api).toHaveLength(1);
    expect(api[0]!.container).toBe(loadConfig(envOf(svc('api'))).port);
    expect(publishedPorts(svc('postgres'))).toEqual([]);
    expect(publishedPorts(svc('redis'))).toEqual([]);
    // Projectors and workers scale (`--scale worker=3`): a fixed host port would collide.
    expect(publishedPorts(svc('projector'))).toEqual([]);
    expect(publishedPorts(svc('worker'))).toEqual([]);
  });

  it('declares every named volume it mounts (and mounts every one it declares), data on volumes', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const used = new Set(Object.values(compose.services).flatMap((s) => namedVolumes(s).map((v) => v.source)));
    for (const v of used) expect(declared, `volume ${v} declared`).toContain(v);
    for (const v of declared) expect([...used], `volume ${v} used`).toContain(v);
    const target = (name: string) => namedVolumes(svc(name)).map((v) => v.target);
    expect(target('postgres')).toContain('/var/lib/postgresql/data');
    expect(target('redis')).toContain('/data');
    expect(target('eventstore')).toContain('/var/lib/eventstore');
    for (const name of APP_SERVICES) {
      const keyFile = loadConfig(envOf(svc(name))).auth.privateKeyFile!;
      const keys = namedVolumes(svc(name)).find((v) => keyFile.startsWith(`${v.target}/`));
      expect(keys, `${name}: ${keyFile} is on a volume`).toBeTruthy();
      expect(namedVolumes(svc('jwt-key')).some((v) => v.source === keys!.source && v.target === keys!.target)).toBe(true);
    }
  });

  it('keeps the key step and the app on the same built image', () => {
    const images = new Set([...APP_SERVICES, 'jwt-key'].map((n) => svc(n).image));
    expect(images.size).toBe(1);
    const command = [svc('jwt-key').command ?? []].flat();
    expect(command.slice(0, 2)).toEqual(['node', 'docker/ensure-jwt-key.js']);
    expect(command[2]).toBe(loadConfig(envOf(svc('api'))).auth.privateKeyFile);
  });
});

interface Stage {
  name: string;
  lines: string[];
}

function stages(text: string): Stage[] {
  const out: Stage[] = [];
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const line of logical) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ name: from[1] ?? `stage${out.length}`, lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

describe('Dockerfile', () => {
  const all = stages(dockerfile);
  const build = all.find((s) => s.name === 'build');
  const runtime = all.at(-1)!;

  it('builds and converts the models in a build stage', () => {
    expect(build, 'a build stage').toBeTruthy();
    expect(build!.lines.some((l) => /^RUN .*npm ci\b/.test(l) && !l.includes('--omit=dev'))).toBe(true);
    expect(build!.lines.some((l) => /^RUN .*npm run build/.test(l))).toBe(true);
    expect(build!.lines.some((l) => /^RUN .*npm run models/.test(l))).toBe(true);
    const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.build).toBeTruthy();
    expect(scripts.models).toBeTruthy();
  });

  it('ends in a runtime stage with production dependencies, dist/ and models/, as a non-root user', () => {
    expect(runtime.name).toBe('runtime');
    expect(runtime.lines.some((l) => /^RUN .*npm ci .*--omit=dev/.test(l))).toBe(true);
    expect(runtime.lines).toContainEqual(expect.stringMatching(/^COPY --from=build \/app\/dist \.\/dist$/));
    expect(runtime.lines).toContainEqual(expect.stringMatching(/^COPY --from=build \/app\/models \.\/models$/));
    const users = runtime.lines.filter((l) => /^USER\s/i.test(l));
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^USER\s+(root|0)(:|\s|$)/i);
    expect(runtime.lines.at(-1)).toBe('CMD ["node", "dist/main.js"]');
    // Every file the image copies from the context exists, and none the .dockerignore drops.
    for (const line of all.flatMap((s) => s.lines).filter((l) => /^COPY\s/.test(l) && !l.includes('--from='))) {
      const parts = line.split(/\s+/).slice(1).filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) expect(existsSync(path.join(root, src)), `${src} exists`).toBe(true);
    }
    const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', 'models', '.keys', '.git']) expect(ignored).toContain(entry);
  });

  it('the main module the image runs is the compiled src/main.ts', () => {
    const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } };
    expect(tsconfig.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(existsSync(path.join(root, 'src/main.ts'))).toBe(true);
  });
});

describe('docker/ helper scripts', () => {
  it('healthcheck.js exits 0 on a 2xx answer and 1 on a 503 or no answer', async () => {
    const server = http.createServer((req, res) => {
      res.statusCode = req.url === '/readyz' ? 200 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = String((server.address() as { port: number }).port);
    const check = (p: string, env: Record<string, string>) =>
      run(process.execPath, [path.join(root, 'docker/healthcheck.js'), p], { env: { ...process.env, ...env } }).then(
        () => 0,
        (err: { code?: number }) => err.code ?? -1,
      );
    try {
      expect(await check('/readyz', { PORT: port })).toBe(0);
      expect(await check('/healthz', { PORT: port })).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await check('/readyz', { PORT: port })).toBe(1); // nothing listens any more
  });

  it('ensure-jwt-key.js creates a key the app loads, and keeps it on the next run', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ft-jwt-key-'));
    try {
      const file = path.join(dir, 'jwt-private.pem');
      await run(process.execPath, [path.join(root, 'docker/ensure-jwt-key.js'), file]);
      const first = await loadSigningKeys({ privateKeyFile: file, devKeyFile: path.join(dir, 'dev.json'), allowDevKey: false });
      const { stdout } = await run(process.execPath, [path.join(root, 'docker/ensure-jwt-key.js'), file]);
      expect(stdout).toMatch(/exists, kept/);
      const second = await loadSigningKeys({ privateKeyFile: file, devKeyFile: path.join(dir, 'dev.json'), allowDevKey: false });
      expect(second.kid).toBe(first.kid);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
