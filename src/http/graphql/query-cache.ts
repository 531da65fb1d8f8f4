// mercurius keeps parsed documents in two LRU caches (valid queries, with their compiled form, and
// invalid ones), sized by count (quick-lru: up to twice its size, in two generations). A document
// is far heavier than its text: graphql keeps every token (linked, with its location), about
// 500 bytes a token, so a 10 000-character query of 5 000 one-letter fields weighs ~2.4 MB parsed
// (measured). With mercurius' default of 1 024 entries, distinct large queries from anyone could
// hold gigabytes. So the count follows from a byte budget and the largest document the limits let
// through (maxTokens): budget / (2 caches × 2 generations × maxTokens × 512 B), at least 8.

const BYTES_PER_TOKEN = 512;
const MIN_ENTRIES = 8;

/** mercurius' `cache` (entries per cache) for a budget in bytes. */
export function queryCacheEntries(budgetBytes: number, maxTokens: number): number {
  return Math.max(MIN_ENTRIES, Math.floor(budgetBytes / (4 * maxTokens * BYTES_PER_TOKEN)));
}
