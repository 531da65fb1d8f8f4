// Every string a client sends — query string, path parameters, JSON body (GraphQL variables
// included), object keys too — must be storable text (src/domain/text/storable-text.ts): no NUL,
// no lone UTF-16 surrogate. Checked once for every route, after parsing and before validation and
// any handler, so no use case starts with text it cannot record: 400 `invalid_text`, naming where.
// The walk is iterative (a deeply nested body cannot overflow the stack) and visits each value
// once; the body is at most the body limit.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isStorableText } from '../domain/text/storable-text.js';
import { HttpProblem } from './problem.js';

interface Visit {
  value: unknown;
  parent: Visit | undefined;
  key: string;
}

/** The JSON pointer of a visit, built only for the one that failed. */
function pointer(v: Visit, root: string): string {
  const keys: string[] = [];
  for (let at: Visit | undefined = v; at?.parent; at = at.parent) keys.push(at.key.replace(/~/g, '~0').replace(/\//g, '~1'));
  return root + keys.reverse().map((k) => `/${k}`).join('');
}

/** The JSON pointer of the first string (or key) in `value` that is not storable text, or undefined. */
export function findUnstorableText(value: unknown, root = ''): string | undefined {
  const stack: Visit[] = [{ value, parent: undefined, key: '' }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const v = visit.value;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return pointer(visit, root) || '/';
    } else if (v !== null && typeof v === 'object') {
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], parent: visit, key: String(i) });
      } else {
        for (const key of Object.keys(v)) {
          const child = { value: (v as Record<string, unknown>)[key], parent: visit, key };
          if (!isStorableText(key)) return pointer(child, root);
          stack.push(child);
        }
      }
    }
  }
  return undefined;
}

const clip = (s: string) => (isStorableText(s) ? s : JSON.stringify(s).slice(1, -1)).slice(0, 200);

export function unstorableTextIn(request: Pick<FastifyRequest, 'query' | 'params' | 'body'>): string | undefined {
  const query = findUnstorableText(request.query);
  if (query) return `query parameter ${clip(query.slice(1))}`;
  const params = findUnstorableText(request.params);
  if (params) return `path parameter ${clip(params.slice(1))}`;
  const body = findUnstorableText(request.body);
  if (body) return `body at ${clip(body)}`;
  return undefined;
}

/** Registers the check on every route of `app` (call before the routes are registered). */
export function registerTextGuard(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const where = unstorableTextIn(request);
    done(where ? new HttpProblem(400, 'invalid_text', 'Bad request', `${where}: text with a NUL character or a lone UTF-16 surrogate cannot be stored`) : undefined);
  });
}
