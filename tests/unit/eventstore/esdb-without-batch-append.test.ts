import { EventStoreDBClient } from '@eventstore/db-client';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import { describe, expect, it } from 'vitest';
import { BATCH_APPEND_PATH, withoutBatchAppend } from '../../../src/eventstore/esdb/without-batch-append.js';
import { withDeadline } from '../../../src/eventstore/esdb/deadline.js';

type Supports = (method: { path: string }, feature?: string) => Promise<boolean>;

describe('withoutBatchAppend', () => {
  it("names the client's BatchAppend method", () => {
    expect(streamsGrpc.StreamsService.batchAppend.path).toBe(BATCH_APPEND_PATH);
  });

  it('answers "not supported" for BatchAppend only and asks the client for everything else', async () => {
    const client = EventStoreDBClient.connectionString('esdb://127.0.0.1:1?tls=false');
    const asked: string[] = [];
    (client as unknown as { supports: Supports }).supports = (method) => {
      asked.push(method.path);
      return Promise.resolve(true);
    };
    const supports = (withoutBatchAppend(client) as unknown as { supports: Supports }).supports;
    expect(await supports(streamsGrpc.StreamsService.batchAppend)).toBe(false);
    expect(await supports(streamsGrpc.StreamsService.read)).toBe(true);
    expect(asked).toEqual([streamsGrpc.StreamsService.read.path]);
    await client.dispose();
  });
});

describe('withDeadline', () => {
  it('passes a result through and rejects with the bound error when the work is late', async () => {
    await expect(withDeadline(Promise.resolve(1), 1_000, () => new Error('late'))).resolves.toBe(1);
    await expect(withDeadline(new Promise(() => undefined), 10, () => new Error('late'))).rejects.toThrow('late');
  });
});
