// /v1/audit/checkpoints and /v1/audit/events/{id}/proof: the notary's signed checkpoints and the
// proofs against them (issue 16; src/notary). For the staff (auditor, admin), like the audit feed.
//
// Shapes (all hashes base64url without padding; a checkpoint is always the JSON form below, the
// same bytes an auditor saves as cp.json):
//
//   Checkpoint = { treeSize: int, rootHash: b64u, position: cursor, signedAt: ISO, kid: string, jws: string }
//     jws: compact JWS, header {alg:'EdDSA', kid, typ:'facetrail-checkpoint+jws'}, payload the JSON
//     {treeSize, rootHash, position, signedAt}; check it against /.well-known/jwks.json and trust
//     only its payload (the other members repeat it).
//
//   GET /v1/audit/checkpoints?limit=&cursor=      → { checkpoints: Checkpoint[] (newest first), nextCursor: string | null }
//   GET /v1/audit/checkpoints?latest=true         → Checkpoint (404 checkpoint_not_found when none yet)
//   GET /v1/audit/checkpoints/latest              → Checkpoint (the same)
//   GET /v1/audit/checkpoints/{treeSize}          → Checkpoint (404 checkpoint_not_found)
//   GET /v1/audit/checkpoints/consistency?from=m&to=n
//       → { from: Checkpoint, to: Checkpoint, proof: b64u[] }   RFC 9162 §2.1.4 consistency proof m → n
//         (m ≤ n; m = n: empty proof). 400 invalid_range (m > n), 404 checkpoint_not_found.
//   GET /v1/audit/events/{id}/proof?checkpoint=n  (default: the latest checkpoint)
//       → { eventId, leafIndex: int, treeSize: int, leafHash: b64u, auditPath: b64u[],
//           canonical: b64u, position: cursor, checkpoint: Checkpoint }
//         canonical: the bytes of canonicalEvent(event) (RFC 8785 JSON of {id, stream, revision,
//         type, data, metadata, recordedAt} as stored — sealed fields as ciphertext), read from
//         the log now; leafHash = SHA-256(0x00 || canonical) must hold, and
//         verifyInclusion(leafHash, leafIndex, treeSize, auditPath, payload.rootHash) (RFC 9162 §2.1.3.2).
//         404 event_not_notarised (no leaf yet, or no such event), 409 event_after_checkpoint
//         (its leaf is not in that checkpoint's tree: ask for a later one), 404 checkpoint_not_found,
//         409 log_diverged (the log no longer holds this leaf's event where the tree has it).
//
// Every proof is computed from stored nodes: O(log n) node reads in one query, never a rehash of the log.

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { STAFF_ROLES } from '../../../domain/identity/policies.js';
import type { Role } from '../../../domain/identity/roles.js';
import type { Guard } from '../../auth-guard.js';
import { HttpProblem } from '../../problem.js';
import { PositionCursor, responses, Uuid } from '../../schemas.js';

/** Staff only; a tree size that is not one, or has no signed checkpoint. */
const CHECKPOINT_PROBLEMS = { 400: ['invalid_checkpoint'], 403: ['forbidden'], 404: ['checkpoint_not_found'] } as const;

/** The notary's reads the routes need (src/notary/proof-service.ts implements it). */
export interface NotaryProofReader {
  latest(): Promise<CheckpointJson | undefined>;
  checkpoint(treeSize: number): Promise<CheckpointJson | undefined>;
  /** Newest first, below `before` (a tree size) when given. */
  list(limit: number, before: number | undefined): Promise<CheckpointJson[]>;
  /** Throws ProofError (code) when there is nothing to prove. */
  inclusion(eventId: string, checkpoint: CheckpointJson): Promise<{ leafIndex: number; leafHash: Buffer; auditPath: Buffer[]; canonical: Buffer; position: string }>;
  consistency(from: CheckpointJson, to: CheckpointJson): Promise<Buffer[]>;
}

export interface CheckpointJson {
  treeSize: number;
  rootHash: string;
  position: string;
  signedAt: string;
  kid: string;
  jws: string;
}

/** What the reader throws for a proof it cannot give; the routes map the code to a status. */
export interface ProofRefusal {
  readonly code: 'event_not_notarised' | 'event_after_checkpoint' | 'log_diverged';
  readonly message: string;
}

export interface ProofRouteDeps {
  proofs: NotaryProofReader;
  requireRole: (...roles: Role[]) => Guard;
  isRefusal: (err: unknown) => err is ProofRefusal;
}

const b64u = Type.String({ pattern: '^[A-Za-z0-9_-]*$', description: 'base64url, no padding' });
const Hash = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'SHA-256 hash, base64url (43 characters)' });

export const CheckpointShape = Type.Object(
  {
    treeSize: Type.Integer({ minimum: 1 }),
    rootHash: Hash,
    position: PositionCursor,
    signedAt: Type.String({ format: 'date-time' }),
    kid: Type.String(),
    jws: Type.String({ description: "Compact JWS (EdDSA, typ 'facetrail-checkpoint+jws') over {treeSize, rootHash, position, signedAt}; verify with /.well-known/jwks.json" }),
  },
  { $id: 'NotaryCheckpoint', description: 'A signed checkpoint of the Merkle tree over the log (save it as cp.json)' },
);

const CheckpointRef = Type.Ref('NotaryCheckpoint');

export const InclusionProofShape = Type.Object({
  eventId: Type.String(),
  leafIndex: Type.Integer({ minimum: 0 }),
  treeSize: Type.Integer({ minimum: 1 }),
  leafHash: Hash,
  auditPath: Type.Array(Hash),
  canonical: { ...b64u, description: 'The canonical stored form of the event (RFC 8785), whose SHA-256(0x00 || bytes) is leafHash' },
  position: PositionCursor,
  checkpoint: CheckpointRef,
});

export const ConsistencyProofShape = Type.Object({ from: CheckpointRef, to: CheckpointRef, proof: Type.Array(Hash) });

/** Tree sizes in paths and queries: decimal, 1 … 2^53 - 1, else 400 invalid_checkpoint. */
const TreeSizeText = Type.String({ maxLength: 20, description: 'A checkpoint, by its tree size' });
const MAX_LIST = 1_000;
const security = [{ bearer: [] }];

function treeSize(text: string, what: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(Number(text))) throw new HttpProblem(400, 'invalid_checkpoint', 'Invalid checkpoint', `${what} must be a tree size (a positive integer)`);
  return Number(text);
}

const b64 = (h: Buffer) => h.toString('base64url');

export function proofRoutes(parent: FastifyInstance, deps: ProofRouteDeps): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  if (!app.getSchemas()['NotaryCheckpoint']) app.addSchema(CheckpointShape);
  const guard = deps.requireRole(...STAFF_ROLES);

  const mustGet = async (size: number): Promise<CheckpointJson> => {
    const cp = await deps.proofs.checkpoint(size);
    if (!cp) throw new HttpProblem(404, 'checkpoint_not_found', 'Not found', `no signed checkpoint of tree size ${size}`);
    return cp;
  };
  const latest = async (): Promise<CheckpointJson> => {
    const cp = await deps.proofs.latest();
    if (!cp) throw new HttpProblem(404, 'checkpoint_not_found', 'Not found', 'no checkpoint has been signed yet');
    return cp;
  };

  app.get(
    '/v1/audit/checkpoints',
    {
      preHandler: guard,
      schema: {
        tags: ['audit'],
        summary: 'Signed checkpoints of the Merkle tree over the log, newest first (latest=true: the newest alone)',
        security,
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: MAX_LIST, default: 100 }),
          cursor: Type.Optional({ ...TreeSizeText, description: 'nextCursor of the previous page' }),
          latest: Type.Optional(Type.Boolean({ description: 'Answer the newest checkpoint alone (its JSON form)' })),
        }),
        response: responses({ 200: Type.Union([Type.Object({ checkpoints: Type.Array(CheckpointRef), nextCursor: Type.Union([Type.String(), Type.Null()]) }), CheckpointRef]) }, 400, 401, CHECKPOINT_PROBLEMS),
      },
    },
    async (request) => {
      const q = request.query;
      if (q.latest === true) return latest();
      const before = q.cursor === undefined ? undefined : treeSize(q.cursor, 'cursor');
      const page = await deps.proofs.list(q.limit + 1, before);
      const checkpoints = page.slice(0, q.limit);
      return { checkpoints, nextCursor: page.length > q.limit ? String(checkpoints.at(-1)!.treeSize) : null };
    },
  );

  app.get(
    '/v1/audit/checkpoints/latest',
    { preHandler: guard, schema: { tags: ['audit'], summary: 'The newest signed checkpoint (publish it elsewhere: README, "Proofs")', security, response: responses({ 200: CheckpointRef }, 401, { 403: ['forbidden'], 404: ['checkpoint_not_found'] }) } },
    async () => latest(),
  );

  app.get(
    '/v1/audit/checkpoints/consistency',
    {
      preHandler: guard,
      schema: {
        tags: ['audit'],
        summary: 'Consistency proof between two signed checkpoints (RFC 9162 §2.1.4): the later tree extends the earlier one',
        security,
        querystring: Type.Object({ from: TreeSizeText, to: TreeSizeText }),
        response: responses({ 200: ConsistencyProofShape }, 401, CHECKPOINT_PROBLEMS, { 400: ['invalid_range'], 409: ['log_diverged'] }),
      },
    },
    async (request) => {
      const m = treeSize(request.query.from, 'from');
      const n = treeSize(request.query.to, 'to');
      if (m > n) throw new HttpProblem(400, 'invalid_range', 'Invalid range', `from (${m}) must not be after to (${n})`);
      const [from, to] = [await mustGet(m), await mustGet(n)];
      const proof = await deps.proofs.consistency(from, to);
      return { from, to, proof: proof.map(b64) };
    },
  );

  app.get(
    '/v1/audit/checkpoints/:treeSize',
    {
      preHandler: guard,
      schema: { tags: ['audit'], summary: 'One signed checkpoint by tree size (the cp.json an auditor saves)', security, params: Type.Object({ treeSize: TreeSizeText }), response: responses({ 200: CheckpointRef }, 401, CHECKPOINT_PROBLEMS) },
    },
    async (request) => mustGet(treeSize(request.params.treeSize, 'treeSize')),
  );

  app.get(
    '/v1/audit/events/:id/proof',
    {
      preHandler: guard,
      schema: {
        tags: ['audit'],
        summary: "Inclusion proof of an event in a signed checkpoint's tree (RFC 9162 §2.1.3), with the event's canonical stored form",
        security,
        params: Type.Object({ id: Uuid }),
        querystring: Type.Object({ checkpoint: Type.Optional({ ...TreeSizeText, description: 'Tree size of the checkpoint (default: the latest)' }) }),
        response: responses({ 200: InclusionProofShape }, 401, CHECKPOINT_PROBLEMS, { 404: ['event_not_notarised'], 409: ['event_after_checkpoint', 'log_diverged'] }),
      },
    },
    async (request) => {
      const cp = request.query.checkpoint === undefined ? await latest() : await mustGet(treeSize(request.query.checkpoint, 'checkpoint'));
      try {
        const p = await deps.proofs.inclusion(request.params.id, cp);
        return { eventId: request.params.id, leafIndex: p.leafIndex, treeSize: cp.treeSize, leafHash: b64(p.leafHash), auditPath: p.auditPath.map(b64), canonical: b64(p.canonical), position: p.position, checkpoint: cp };
      } catch (err) {
        if (!deps.isRefusal(err)) throw err;
        throw new HttpProblem(err.code === 'event_not_notarised' ? 404 : 409, err.code, err.code === 'event_not_notarised' ? 'Not found' : 'Conflict', err.message);
      }
    },
  );
}
