// The GraphQL SDL and the TypeBox response shapes (src/queries/<feature>/shapes.ts) describe the
// same objects twice: this test walks both and fails when they drift apart — field names,
// nullability (GraphQL nullable ⇔ TypeBox Optional or `| null`), lists, scalar kinds
// (ID/String ↔ string, Int ↔ integer, Float ↔ number, Boolean ↔ boolean, JSON ↔ Unknown) and
// enums ↔ unions of literals. Every GraphQL object type must have a REST twin or be listed as
// GraphQL-only; every difference the two sides have on purpose is listed below with its reason,
// and a listed difference that no longer exists fails the test too.

import { Kind, KindGuard, type TSchema } from '@sinclair/typebox';
import {
  buildSchema,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { typeDefs } from '../../../src/http/graphql/parts.js';
import { AuditEvent, AuditFeedPage } from '../../../src/queries/audit/shapes.js';
import { User } from '../../../src/queries/identity/shapes.js';
import { AnalysisError, Box, DayStats, Face, ImageWithFaces, Model } from '../../../src/queries/images/shapes.js';
import { PeoplePage, PersonFaceView, PersonWithFaces } from '../../../src/queries/people/shapes.js';
import { FaceMatch, FaceRef } from '../../../src/queries/recognition/shapes.js';

/** GraphQL object type → the TypeBox shape of the same object in the REST responses. */
const TWINS: Record<string, TSchema> = {
  Image: ImageWithFaces,
  Face,
  Box,
  Model,
  AnalysisError,
  DayStats,
  User,
  AuditEvent,
  AuditEventPage: AuditFeedPage,
  Person: PersonWithFaces,
  PersonFace: PersonFaceView,
  PersonPage: PeoplePage,
  FaceMatch,
  FaceRef,
};

/** GraphQL object types with no REST twin. */
const GRAPHQL_ONLY_TYPES: Record<string, string> = {
  Query: 'root type (REST: the routes)',
  Subscription: 'root type (REST has no subscriptions; the audit SSE feed is not an image feed)',
  PageInfo: 'Relay connection (REST pages: nextCursor)',
  ImageConnection: 'Relay connection (REST: ImageListPage { items, nextCursor })',
  ImageEdge: 'Relay connection',
  UserConnection: 'Relay connection (REST has no user list)',
  UserEdge: 'Relay connection',
  Point: 'a landmark as {x, y}; REST answers [x, y] pairs (see Face.landmarks)',
  FaceSearchResult: 'the search by faceId only (REST also searches with a photo: face, faces); the model as modelSha256 (REST: model { sha256 })',
};

/** GraphQL field → its REST name, where the two differ. */
const RENAMED: Record<string, string> = {
  'Image.id': 'imageId',
  'User.id': 'userId',
};

/** Fields on one side only, and why. */
const ONE_SIDE_ONLY: Record<string, string> = {
  'Image.owner': 'GraphQL only: the owner as a User (a loader); REST answers ownerId',
  'Image.ownerId': 'REST only: GraphQL answers owner { id }',
  'User.images': "GraphQL only: a connection resolver with arguments (first, after, status); REST: GET /v1/images",
};

/** Differences in kind or nullability of a field both sides have, and why. */
const DIFFERENT_ON_PURPOSE: Record<string, string> = {
  'Face.descriptor nullability': 'REST includes the descriptor only with include=descriptor (optional); GraphQL resolves it whenever it is selected (non-null)',
  'Face.landmarks[] kind': 'REST answers [x, y] pairs (a tuple); GraphQL answers Point objects',
  'AuditEvent.metadata nullability': 'always an object; REST declares it Unknown (any JSON value, null included)',
};

/** Either side, reduced to what both can say. */
type Shape =
  | { kind: 'scalar'; scalar: 'string' | 'integer' | 'number' | 'boolean' | 'any' }
  | { kind: 'enum'; values: string[] }
  | { kind: 'list'; item: Field }
  | { kind: 'object'; name: string; fields: () => Map<string, Field> }
  | { kind: 'tuple'; items: Field[] };
interface Field {
  nullable: boolean;
  shape: Shape;
}

const GRAPHQL_SCALARS: Record<string, 'string' | 'integer' | 'number' | 'boolean' | 'any'> = { ID: 'string', String: 'string', Int: 'integer', Float: 'number', Boolean: 'boolean', JSON: 'any' };

function fromGraphql(type: GraphQLOutputType): Field {
  if (isNonNullType(type)) return { ...fromGraphql(type.ofType), nullable: false };
  if (isListType(type)) return { nullable: true, shape: { kind: 'list', item: fromGraphql(type.ofType) } };
  if (isEnumType(type)) return { nullable: true, shape: { kind: 'enum', values: type.getValues().map((v) => v.name).sort() } };
  if (isScalarType(type)) {
    const scalar = GRAPHQL_SCALARS[type.name];
    if (!scalar) throw new Error(`no TypeBox counterpart for the GraphQL scalar ${type.name}: add it to GRAPHQL_SCALARS`);
    return { nullable: true, shape: { kind: 'scalar', scalar } };
  }
  if (isObjectType(type)) return { nullable: true, shape: { kind: 'object', name: type.name, fields: () => new Map(Object.values(type.getFields()).map((f: GraphQLField<unknown, unknown>) => [f.name, fromGraphql(f.type)])) } };
  throw new Error(`unexpected GraphQL output type ${String(type)}`);
}

function fromTypebox(schema: TSchema, objectName: string): Field {
  const field = fromTypeboxRequired(schema, objectName);
  return KindGuard.IsOptional(schema) ? { ...field, nullable: true } : field;
}

function fromTypeboxRequired(schema: TSchema, objectName: string): Field {
  const required = (shape: Shape): Field => ({ nullable: false, shape });
  if (KindGuard.IsString(schema)) return required({ kind: 'scalar', scalar: 'string' });
  if (KindGuard.IsInteger(schema)) return required({ kind: 'scalar', scalar: 'integer' });
  if (KindGuard.IsNumber(schema)) return required({ kind: 'scalar', scalar: 'number' });
  if (KindGuard.IsBoolean(schema)) return required({ kind: 'scalar', scalar: 'boolean' });
  if (KindGuard.IsUnknown(schema) || KindGuard.IsAny(schema)) return { nullable: true, shape: { kind: 'scalar', scalar: 'any' } };
  if (KindGuard.IsLiteral(schema)) return required({ kind: 'enum', values: [String(schema.const)] });
  if (KindGuard.IsArray(schema)) return required({ kind: 'list', item: fromTypebox(schema.items, objectName) });
  if (KindGuard.IsTuple(schema)) return required({ kind: 'tuple', items: (schema.items ?? []).map((s) => fromTypebox(s, objectName)) });
  if (KindGuard.IsObject(schema)) {
    const { properties } = schema;
    return required({ kind: 'object', name: objectName, fields: () => new Map(Object.entries(properties).map(([k, s]) => [k, fromTypebox(s, objectName)])) });
  }
  if (KindGuard.IsUnion(schema)) {
    const nonNull = schema.anyOf.filter((m) => !KindGuard.IsNull(m));
    const nullable = nonNull.length < schema.anyOf.length;
    const literals = nonNull.filter((m) => KindGuard.IsLiteral(m));
    if (nonNull.length > 0 && literals.length === nonNull.length) return { nullable, shape: { kind: 'enum', values: literals.map((m) => String(m.const)).sort() } };
    const [only] = nonNull;
    if (nonNull.length === 1 && only) return { ...fromTypebox(only, objectName), nullable };
    throw new Error(`${objectName}: a union of several non-null members has no GraphQL counterpart here`);
  }
  throw new Error(`${objectName}: TypeBox kind ${String(schema[Kind])} is not compared yet`);
}

const describeShape = (s: Shape) => (s.kind === 'scalar' ? s.scalar : s.kind);

/** Every difference between the GraphQL type `gql` and the TypeBox shape `rest`, as "<Type.field> <aspect>: …". */
function drift(schemaTypes: { gql: GraphQLObjectType; rest: TSchema }[]): { drifts: Map<string, string>; seenTypes: Set<string> } {
  const drifts = new Map<string, string>();
  const seenTypes = new Set<string>();

  const compareField = (path: string, gql: Field, rest: Field) => {
    if (gql.nullable !== rest.nullable) drifts.set(`${path} nullability`, `GraphQL ${gql.nullable ? 'nullable' : 'non-null'}, REST ${rest.nullable ? 'nullable or optional' : 'required'}`);
    const g = gql.shape;
    const r = rest.shape;
    if (g.kind !== r.kind || (g.kind === 'scalar' && r.kind === 'scalar' && g.scalar !== r.scalar)) {
      drifts.set(`${path} kind`, `GraphQL ${describeShape(g)}, REST ${describeShape(r)}`);
      return;
    }
    if (g.kind === 'enum' && r.kind === 'enum' && g.values.join() !== r.values.join()) drifts.set(`${path} values`, `GraphQL ${g.values.join('|')}, REST ${r.values.join('|')}`);
    if (g.kind === 'list' && r.kind === 'list') compareField(`${path}[]`, g.item, r.item);
    if (g.kind === 'object' && r.kind === 'object') compareObject(g, r);
  };

  const compareObject = (gql: Extract<Shape, { kind: 'object' }>, rest: Extract<Shape, { kind: 'object' }>) => {
    if (seenTypes.has(gql.name)) return;
    seenTypes.add(gql.name);
    const restFields = rest.fields();
    const restNames = new Set(restFields.keys());
    for (const [name, field] of gql.fields()) {
      const path = `${gql.name}.${name}`;
      const restName = RENAMED[path] ?? name;
      const twin = restFields.get(restName);
      if (!twin) {
        drifts.set(`${path} one side`, 'GraphQL only');
        continue;
      }
      restNames.delete(restName);
      compareField(path, field, twin);
    }
    for (const name of restNames) drifts.set(`${gql.name}.${name} one side`, 'REST only');
  };

  for (const { gql, rest } of schemaTypes) {
    const g = fromGraphql(gql).shape;
    const r = fromTypebox(rest, gql.name).shape;
    if (g.kind !== 'object' || r.kind !== 'object') throw new Error(`${gql.name}: the twin must be an object shape`);
    compareObject(g, r);
  }
  return { drifts, seenTypes };
}

describe('GraphQL SDL and TypeBox response shapes', () => {
  const schema = buildSchema(typeDefs.join('\n'));
  const twins = Object.entries(TWINS).map(([name, rest]) => {
    const gql = schema.getType(name);
    if (!isObjectType(gql)) throw new Error(`TWINS names ${name}, which is not a GraphQL object type`);
    return { gql, rest };
  });
  const { drifts, seenTypes } = drift(twins);

  it('agree on every field both have: names, nullability, lists, scalar kinds and enum values', () => {
    const allowed = new Set([...Object.keys(ONE_SIDE_ONLY).map((f) => `${f} one side`), ...Object.keys(DIFFERENT_ON_PURPOSE)]);
    const unexplained = [...drifts].filter(([key]) => !allowed.has(key)).map(([key, what]) => `${key}: ${what}`);
    expect(unexplained).toEqual([]);
  });

  it('every difference listed on purpose still exists (no stale entries)', () => {
    const listed = [...Object.keys(ONE_SIDE_ONLY).map((f) => `${f} one side`), ...Object.keys(DIFFERENT_ON_PURPOSE)];
    expect(listed.filter((key) => !drifts.has(key))).toEqual([]);
  });

  it('every GraphQL object type has a REST twin (compared) or is listed as GraphQL-only', () => {
    const objectTypes = Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && !t.name.startsWith('__'));
    const unaccounted = objectTypes.map((t) => t.name).filter((name) => !seenTypes.has(name) && !(name in GRAPHQL_ONLY_TYPES));
    expect(unaccounted).toEqual([]);
    const listedButTwinned = Object.keys(GRAPHQL_ONLY_TYPES).filter((name) => seenTypes.has(name) || !schema.getType(name));
    expect(listedButTwinned).toEqual([]);
  });
});
