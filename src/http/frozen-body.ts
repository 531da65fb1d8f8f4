// The JSON body of an immutable answer, serialised once: the read cache hands every request the
// same frozen object for an unchanged entry, so its body (by the route's own serializer, as if the
// object had been returned) is kept per object and sent as is. One memo per route: two routes may
// serialise the same object differently.

import type { FastifyReply } from 'fastify';

export function frozenBodies(): (reply: FastifyReply, payload: object) => FastifyReply | object {
  const bodies = new WeakMap<object, string>();
  return (reply, payload) => {
    if (!Object.isFrozen(payload)) return payload; // only an object nobody can change has one body
    let body = bodies.get(payload);
    if (body === undefined) {
      const serialized = reply.serialize(payload);
      if (typeof serialized !== 'string') return payload;
      body = serialized;
      bodies.set(payload, body);
    }
    return reply.type('application/json; charset=utf-8').send(body);
  };
}
