// The root types of the GraphQL schema (SDL). Each part (parts.ts) extends them with its fields;
// the whole schema is served as generated text at GET /graphql/schema.graphql. The object types
// mirror the REST responses (their TypeBox shapes in src/queries/<feature>/shapes.ts; the test
// tests/unit/http/shape-drift.test.ts keeps the two from drifting apart).

export const rootTypeDefs = /* GraphQL */ `
  """
  Every query field takes consistentWith: a position cursor from a command's response. The read
  waits (bounded) until the read model has applied it, else fails with code projection_lagging.
  """
  type Query

  type Subscription
`;
