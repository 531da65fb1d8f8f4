// Custom scalars any part may use.

import type { IResolvers } from 'mercurius';
import { graphql } from './graphql-cjs.js';

export const scalarTypeDefs = /* GraphQL */ `
  "Any JSON value: an event's data and metadata as recorded (secrets such as password hashes redacted)."
  scalar JSON
`;

export const scalarResolvers: IResolvers = {
  // Output only: event data and metadata as the feed shows them.
  JSON: new graphql.GraphQLScalarType({ name: 'JSON', serialize: (value: unknown) => value }),
};
