// RFC 9457 problem details: every error response of the API has this shape and a stable `code`.

import type { FastifyReply } from 'fastify';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/** An error that maps to a problem response; throw it from any handler. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }
}

export interface ProblemInit {
  status: number;
  code: string;
  title: string;
  detail?: string | undefined;
  instance?: string;
  type?: string;
  [extension: string]: unknown;
}

export function problemBody(p: ProblemInit): Problem {
  return { ...p, type: p.type ?? `https://facetrail.dev/problems/${p.code}`, title: p.title, status: p.status, code: p.code };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.status(problem.status).type('application/problem+json').send(problem);
}
