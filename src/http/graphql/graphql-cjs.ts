// graphql ships CommonJS and ESM builds, and its classes check their realm (instanceof): a schema
// built by one copy cannot be read by the other. mercurius is CommonJS, so everything here that
// touches its schema, documents or errors uses the CommonJS copy (types come from either).

import { createRequire } from 'node:module';
import type * as GraphQL from 'graphql';
import type * as QueryComplexity from 'graphql-query-complexity';

const require = createRequire(import.meta.url);

export const graphql = require('graphql') as typeof GraphQL;
export const queryComplexity = require('graphql-query-complexity') as typeof QueryComplexity;
