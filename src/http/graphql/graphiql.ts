// GraphiQL at /graphiql (outside production), served entirely by us: its page, its start script and
// the React and GraphiQL bundles from node_modules — nothing from a CDN, so it works offline and
// under a same-origin-only content security policy. The bearer token goes in GraphiQL's Headers
// tab (prefilled with the header to complete); the schema (docs, completion) is served beside it.
// The bundles are development dependencies: an
// install without them answers 404 graphiql_not_installed.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { HttpProblem } from '../problem.js';
import { graphql } from './graphql-cjs.js';

const require = createRequire(import.meta.url);

/** The files the page loads, by the name it loads them under. */
const ASSETS: Record<string, { pkg: string; file: string; type: string }> = {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'text/javascript; charset=utf-8' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript; charset=utf-8' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript; charset=utf-8' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css; charset=utf-8' },
};

export const GRAPHIQL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // GraphiQL's editors set inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>facetrail GraphiQL</title>
<link rel="stylesheet" href="/graphiql/assets/graphiql.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="/graphiql/assets/react.js"></script>
<script src="/graphiql/assets/react-dom.js"></script>
<script src="/graphiql/assets/graphiql.js"></script>
<script src="/graphiql/start.js"></script>
</body>
</html>
`;

// The schema comes from /graphiql/schema.json: GraphiQL's own introspection query is deeper than
// GRAPHQL_MAX_DEPTH allows, and the limit stays as it is for everyone.
const START = `// Queries and mutations over HTTP with the headers of the Headers tab.
const fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', location.href).href });
fetch('/graphiql/schema.json').then((r) => r.json()).then((schema) => {
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher,
      schema,
      defaultHeaders: JSON.stringify({ authorization: 'Bearer <paste an accessToken from POST /v1/auth/token>' }, null, 2),
      defaultEditorToolsVisibility: 'headers',
      defaultQuery: '{\\n  me {\\n    email\\n    role\\n  }\\n}\\n',
    }),
  );
});
`;

const cached = new Map<string, Buffer>();

async function asset(name: string): Promise<Buffer | undefined> {
  const spec = ASSETS[name];
  if (!spec) return undefined;
  let body = cached.get(name);
  if (!body) {
    // From the package's folder: the packages' export maps do not list their UMD bundles.
    let root: string;
    try {
      root = path.dirname(require.resolve(`${spec.pkg}/package.json`));
    } catch {
      throw new HttpProblem(404, 'graphiql_not_installed', 'Not found', `GraphiQL's bundles are development dependencies and are not installed here (${spec.pkg})`);
    }
    body = await readFile(path.join(root, spec.file));
    cached.set(name, body);
  }
  return body;
}

export function registerGraphiql(app: FastifyInstance): void {
  app.get('/graphiql/schema.json', { schema: { hide: true } }, () => graphql.introspectionFromSchema(app.graphql.schema));
  const security = (reply: { header(name: string, value: string): unknown }) => reply.header('content-security-policy', GRAPHIQL_CSP);
  app.get('/graphiql', { schema: { hide: true } }, (_request, reply) => {
    security(reply);
    return reply.type('text/html; charset=utf-8').send(PAGE);
  });
  app.get('/graphiql/start.js', { schema: { hide: true } }, (_request, reply) => reply.type('text/javascript; charset=utf-8').send(START));
  app.get<{ Params: { name: string } }>('/graphiql/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const body = await asset(request.params.name);
    if (!body) throw new HttpProblem(404, 'not_found', 'Not found', 'no such GraphiQL asset');
    return reply.type(ASSETS[request.params.name]!.type).header('cache-control', 'public, max-age=86400').send(body);
  });
}
