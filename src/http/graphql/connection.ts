// Relay-style connections: a query service's page (items, nextCursor, a cursor per item) as
// edges and pageInfo. PageInfo is shared by every part's connection types.

export const connectionTypeDefs = /* GraphQL */ `
  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }
`;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export function connection<T>(page: { items: T[]; nextCursor: string | null; cursors: string[] }) {
  return {
    edges: page.items.map((node, i) => ({ cursor: page.cursors[i] ?? '', node })),
    pageInfo: { hasNextPage: page.nextCursor !== null, endCursor: page.cursors.at(-1) ?? null },
  };
}
