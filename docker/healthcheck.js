/* global process, fetch, AbortSignal */
// Container health check without curl (the slim image has none): `node docker/healthcheck.js /readyz`
// exits 0 when the app on PORT answers 2xx within 4 s, 1 otherwise.
const path = process.argv[2] ?? '/healthz';
const port = process.env.PORT ?? '3000';
fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(4000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
