// The web console (issue 18) at /: the static build of web/ (Vite), served by the API itself —
// every asset from us, nothing from a CDN. Hashed assets under /assets/ are immutable and sent
// pre-compressed (brotli or gzip, written by the build); the page is revalidated on every load so a
// new build shows at once. Without a build (an install that skipped `npm run build:web`), / answers
// 503 console_not_built saying how to build it; the API itself is unaffected.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { HttpProblem } from '../../problem.js';
import type { RouteGroup } from '../../route-group.js';
import { CONSOLE_BUILD_DIR } from './console-build.js';

/** Same origin only; inline style attributes are the overlay's positions (no inline script). */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export async function consoleRoutes(app: FastifyInstance, buildDir = CONSOLE_BUILD_DIR): Promise<void> {
  const page = async () => {
    try {
      return await readFile(path.join(buildDir, 'index.html'));
    } catch {
      throw new HttpProblem(503, 'console_not_built', 'Service unavailable', 'the web console is not built: run `npm run build:web` (npm start does it when the sources changed)');
    }
  };
  for (const url of ['/', '/index.html']) {
    app.get(url, { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').header('content-security-policy', CONSOLE_CSP).send(await page()),
    );
  }
  await app.register(fastifyStatic, {
    root: path.join(buildDir, 'assets'),
    prefix: '/assets/',
    preCompressed: true,
    immutable: true,
    maxAge: '365d',
    index: false,
    list: false,
    decorateReply: false,
    schemaHide: true,
  });
  app.get('/favicon.svg', { schema: { hide: true } }, async (_request, reply) => {
    const icon = await readFile(path.join(buildDir, 'favicon.svg')).catch(() => undefined);
    if (!icon) throw new HttpProblem(404, 'not_found', 'Not found', 'no favicon in the console build');
    return reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(icon);
  });
}

export const consoleRouteGroup: RouteGroup = {
  name: 'console',
  register: (app) => consoleRoutes(app),
};
