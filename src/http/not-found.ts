// What an unrouted request gets: 405 method_not_allowed with `Allow` when the path exists under
// other methods (`DELETE /v1/auth/token`), else 404 not_found (also when a route of the request's
// own method found nothing there, e.g. a missing file under /assets/).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problemBody, sendProblem } from './problem.js';

// Not OPTIONS: the CORS plugin answers it on every path (preflight), so it says nothing of a path.
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The methods some route answers for `path` (a concrete path, as requested). */
export function allowedMethods(app: FastifyInstance, path: string): string[] {
  return METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
}

export function registerNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    const allowed = allowedMethods(app, path);
    // A route of this very method sent us here (a static file that is not there, a wildcard
    // that matched nothing): the resource is missing, the method is fine.
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(
        reply,
        problemBody({ status: 405, code: 'method_not_allowed', title: 'Method not allowed', detail: `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`, instance: path, allowed }),
      );
    }
    return sendProblem(reply, problemBody({ status: 404, code: 'not_found', title: 'Not found', detail: `no route ${request.method} ${path}`, instance: path }));
  });
}
