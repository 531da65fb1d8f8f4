// Every GraphQL part, in one list: plugin.ts merges their SDL, resolvers and loaders. A new
// feature adds its folder here (graphql/<feature>/part.ts) and nothing else in the kernel.

import { auditPart } from './audit/part.js';
import { connectionTypeDefs } from './connection.js';
import { identityPart } from './identity/part.js';
import { imagesPart } from './images/part.js';
import { recognitionPart } from './recognition/part.js';
import type { GraphqlPart } from './part.js';
import { scalarTypeDefs } from './scalars.js';
import { rootTypeDefs } from './schema.js';

export const graphqlParts: readonly GraphqlPart[] = [identityPart, imagesPart, recognitionPart, auditPart];

/** The served SDL: the kernel's root types, connections and scalars, then every part's. */
export const typeDefs: readonly string[] = [rootTypeDefs, connectionTypeDefs, scalarTypeDefs, ...graphqlParts.map((p) => p.typeDefs)];
