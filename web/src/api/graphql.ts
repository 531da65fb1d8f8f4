// GraphQL from the console: queries over HTTP (api()), subscriptions over one shared WebSocket
// (graphql-transport-ws) that authenticates with the in-memory access token at connection_init.

import { createClient, type Client } from 'graphql-ws';
import { accessToken, api, onSessionChange } from './client.js';
import { ProblemError } from './problem.js';

interface GraphqlResult<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function query<T>(source: string, variables: Record<string, unknown> = {}): Promise<T> {
  let result: GraphqlResult<T>;
  let status = 400;
  try {
    result = await api<GraphqlResult<T>>('POST', '/graphql', { body: { query: source, variables } });
  } catch (err) {
    // An error with a status (e.g. consent_required: 409) answers that status with a GraphQL body.
    if (!(err instanceof ProblemError) || !Array.isArray(err.body['errors'])) throw err;
    result = err.body as GraphqlResult<T>;
    status = err.status;
  }
  const first = result.errors?.[0];
  if (first || !result.data) throw new ProblemError(status, first?.extensions?.code ?? 'graphql_error', { title: 'GraphQL error', detail: first?.message ?? 'no data' });
  return result.data;
}

let client: Client | undefined;
onSessionChange((signedIn) => {
  if (!signedIn) {
    void client?.dispose();
    client = undefined;
  }
});

function ws(): Client {
  client ??= createClient({
    url: new URL('/graphql', location.href).href.replace(/^http/, 'ws'),
    connectionParams: async () => ({ authorization: `Bearer ${await accessToken()}` }),
    lazy: true,
    retryAttempts: 5,
  });
  return client;
}

/** Subscribes; onData for each result. Returns the unsubscribe. */
export function subscribe<T>(source: string, variables: Record<string, unknown>, onData: (data: T) => void, onError: (err: unknown) => void = () => undefined): () => void {
  return ws().subscribe<T>(
    { query: source, variables },
    {
      next: (r) => {
        if (r.data) onData(r.data);
        else if (r.errors?.[0]) {
          const code = r.errors[0].extensions?.['code'];
          onError(new ProblemError(400, typeof code === 'string' ? code : 'graphql_error', { detail: r.errors[0].message }));
        }
      },
      error: onError,
      complete: () => undefined,
    },
  );
}
