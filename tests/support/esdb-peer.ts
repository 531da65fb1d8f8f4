// A scripted EventStoreDB peer for protocol-level tests: a gRPC server on loopback built from the
// service definitions shipped in @eventstore/db-client, answering just enough of Streams (Read,
// Append, BatchAppend) and ServerFeatures for a test to script what only a server can send —
// checkpoint messages, caught-up and confirmation messages, errors such as InvalidPosition.
// It is not a substitute for the contract suite (tests/integration/eventstore/contract.ts), which
// runs against a real server wherever ESDB_URL or Docker exists.
//
//   const peer = await startEsdbPeer();
//   peer.onRead((read, reply) => { if (read.subscription) { reply.confirm(); reply.event({...}); reply.checkpoint(p); } else reply.end(); });
//   const store = new EsdbEventStore(peer.url);

import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import serverFeaturesGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import serverFeaturesPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { Position } from '../../src/eventstore/index.js';

const { ReadResp, AppendResp } = streamsPb;
type ReadReqT = InstanceType<typeof streamsPb.ReadReq>;
type ReadRespT = InstanceType<typeof streamsPb.ReadResp>;
type AppendReqT = InstanceType<typeof streamsPb.AppendReq>;

/** What a Read call asked for. */
export interface PeerReadRequest {
  /** `$all` or the stream read. */
  stream: string;
  subscription: boolean;
  direction: 'forwards' | 'backwards';
  /** 'start', 'end', an `$all` position, or a stream revision. */
  from: 'start' | 'end' | Position | bigint;
  /** Requested count (reads only). */
  count: bigint | undefined;
  /** The server filter, if any (subscriptions always carry one). */
  filter: { on: 'stream' | 'type'; prefixes: string[]; regex: string; checkpointInterval: number } | undefined;
  /** The call's deadline as the client set it, in ms from now (Infinity when none). */
  deadlineMs: number;
}

/** An event the peer sends. */
export interface PeerEvent {
  stream: string;
  type: string;
  revision: bigint;
  position: Position;
  data?: unknown;
  metadata?: unknown;
  id?: string;
}

/** The answer to one Read call: messages in the order sent, then end() or error(), or nothing (silent). */
export interface PeerReadReply {
  event(e: PeerEvent): void;
  checkpoint(p: Position): void;
  confirm(subscriptionId?: string): void;
  caughtUp(): void;
  streamNotFound(stream: string): void;
  end(): void;
  /** Ends the call with a gRPC status (e.g. grpc.status.OUT_OF_RANGE) and trailing metadata such as `exception`. */
  error(code: grpc.status, details: string, metadata?: Record<string, string>): void;
  /** Resolves when the client cancels or the call ends. */
  readonly closed: Promise<void>;
}

export type ReadHandler = (read: PeerReadRequest, reply: PeerReadReply) => void | Promise<void>;

export interface EsdbPeer {
  /** `esdb://127.0.0.1:<port>?tls=false` */
  readonly url: string;
  readonly port: number;
  /** Every Read call so far. */
  readonly reads: PeerReadRequest[];
  /** Streams appended through the Append RPC, one entry per append. */
  readonly appends: string[];
  /** How many BatchAppend calls were opened. */
  readonly batchAppendCalls: number;
  /** Replaces the Read handler (default: subscriptions confirm and stay open; reads end empty). */
  onRead(handler: ReadHandler): void;
  close(): Promise<void>;
}

export interface EsdbPeerOptions {
  /** Methods ServerFeatures reports (default: Streams read, append and batchAppend). */
  supportedMethods?: { service: string; method: string; features?: string[] }[];
}

const DEFAULT_METHODS: { service: string; method: string; features?: string[] }[] = [
  { service: 'event_store.client.streams.streams', method: 'read' },
  { service: 'event_store.client.streams.streams', method: 'append' },
  { service: 'event_store.client.streams.streams', method: 'batchappend' },
];

function describeRead(req: ReadReqT, deadline: grpc.Deadline): PeerReadRequest {
  const o = req.getOptions()!;
  const all = o.getAll();
  let stream = '$all';
  let from: PeerReadRequest['from'] = 'start';
  if (all) {
    if (all.hasEnd()) from = 'end';
    const p = all.getPosition();
    if (p) from = { commit: BigInt(p.getCommitPosition()), prepare: BigInt(p.getPreparePosition()) };
  } else {
    const s = o.getStream()!;
    stream = Buffer.from(s.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8');
    if (s.hasEnd()) from = 'end';
    if (s.hasRevision()) from = BigInt(s.getRevision());
  }
  const f = o.getFilter();
  const expr = f?.getStreamIdentifier() ?? f?.getEventType();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() - Date.now() : deadline === Infinity ? Infinity : Number(deadline) - Date.now();
  return {
    stream,
    subscription: o.hasSubscription(),
    direction: o.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS ? 'backwards' : 'forwards',
    from,
    count: o.hasCount() ? BigInt(o.getCount()) : undefined,
    filter:
      f && expr
        ? { on: f.hasStreamIdentifier() ? 'stream' : 'type', prefixes: expr.getPrefixList(), regex: expr.getRegex(), checkpointInterval: f.getCheckpointintervalmultiplier() }
        : undefined,
    deadlineMs,
  };
}

function recorded(e: PeerEvent): InstanceType<typeof ReadResp.ReadEvent.RecordedEvent> {
  const r = new ReadResp.ReadEvent.RecordedEvent();
  const id = new sharedPb.UUID();
  id.setString(e.id ?? randomUUID());
  r.setId(id);
  const sid = new sharedPb.StreamIdentifier();
  sid.setStreamName(Buffer.from(e.stream, 'utf8'));
  r.setStreamIdentifier(sid);
  r.setStreamRevision(e.revision.toString());
  r.setCommitPosition(e.position.commit.toString());
  r.setPreparePosition(e.position.prepare.toString());
  const meta = r.getMetadataMap();
  meta.set('type', e.type);
  meta.set('content-type', 'application/json');
  meta.set('created', (BigInt(Date.now()) * 10_000n).toString());
  r.setData(Buffer.from(JSON.stringify(e.data ?? {}), 'utf8'));
  r.setCustomMetadata(Buffer.from(JSON.stringify(e.metadata ?? {}), 'utf8'));
  return r;
}

function makeReply(call: grpc.ServerWritableStream<ReadReqT, ReadRespT>): PeerReadReply {
  let done = false;
  const closed = new Promise<void>((resolve) => {
    call.on('cancelled', () => {
      done = true;
      resolve();
    });
    call.on('finish', () => resolve());
    call.on('close', () => resolve());
  });
  const send = (resp: ReadRespT) => {
    if (!done) call.write(resp);
  };
  return {
    event(e) {
      const resp = new ReadResp();
      const ev = new ReadResp.ReadEvent();
      ev.setEvent(recorded(e));
      ev.setCommitPosition(e.position.commit.toString());
      resp.setEvent(ev);
      send(resp);
    },
    checkpoint(p) {
      const resp = new ReadResp();
      const c = new ReadResp.Checkpoint();
      c.setCommitPosition(p.commit.toString());
      c.setPreparePosition(p.prepare.toString());
      resp.setCheckpoint(c);
      send(resp);
    },
    confirm(subscriptionId = randomUUID()) {
      const resp = new ReadResp();
      const c = new ReadResp.SubscriptionConfirmation();
      c.setSubscriptionId(subscriptionId);
      resp.setConfirmation(c);
      send(resp);
    },
    caughtUp() {
      const resp = new ReadResp();
      resp.setCaughtUp(new ReadResp.CaughtUp());
      send(resp);
    },
    streamNotFound(stream) {
      const resp = new ReadResp();
      const nf = new ReadResp.StreamNotFound();
      const sid = new sharedPb.StreamIdentifier();
      sid.setStreamName(Buffer.from(stream, 'utf8'));
      nf.setStreamIdentifier(sid);
      resp.setStreamNotFound(nf);
      send(resp);
    },
    end() {
      if (done) return;
      done = true;
      call.end();
    },
    error(code, details, metadata = {}) {
      if (done) return;
      done = true;
      const md = new grpc.Metadata();
      for (const [k, v] of Object.entries(metadata)) md.set(k, v);
      // grpc-js sends an 'error' emitted on a server stream as the call's status (destroy() sends none).
      call.emit('error', Object.assign(new Error(details), { code, details, metadata: md }));
    },
    closed,
  };
}

const defaultRead: ReadHandler = (read, reply) => {
  if (read.subscription) reply.confirm();
  else reply.end();
};

export async function startEsdbPeer(opts: EsdbPeerOptions = {}): Promise<EsdbPeer> {
  const server = new grpc.Server();
  const reads: PeerReadRequest[] = [];
  const appends: string[] = [];
  let batchAppendCalls = 0;
  let handler: ReadHandler = defaultRead;
  let nextPosition = 1_000n;
  const revisions = new Map<string, bigint>();

  server.addService(streamsGrpc.StreamsService, {
    read(call: grpc.ServerWritableStream<ReadReqT, ReadRespT>) {
      const read = describeRead(call.request, call.getDeadline());
      reads.push(read);
      void Promise.resolve(handler(read, makeReply(call))).catch((err: unknown) => call.emit('error', err));
    },
    append(call: grpc.ServerReadableStream<AppendReqT, unknown>, callback: grpc.sendUnaryData<unknown>) {
      let stream = '';
      let count = 0;
      call.on('data', (req: AppendReqT) => {
        const o = req.getOptions();
        if (o) stream = Buffer.from(o.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8');
        if (req.getProposedMessage()) count++;
      });
      call.on('end', () => {
        appends.push(stream);
        const revision = (revisions.get(stream) ?? -1n) + BigInt(count);
        revisions.set(stream, revision);
        nextPosition += 100n * BigInt(count);
        const success = new AppendResp.Success();
        success.setCurrentRevision(revision.toString());
        const p = new AppendResp.Position();
        p.setCommitPosition(nextPosition.toString());
        p.setPreparePosition(nextPosition.toString());
        success.setPosition(p);
        const resp = new AppendResp();
        resp.setSuccess(success);
        callback(null, resp);
      });
    },
    batchAppend(call: grpc.ServerDuplexStream<unknown, unknown>) {
      batchAppendCalls++;
      call.on('data', () => undefined);
      call.on('end', () => call.end());
    },
    delete(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'not scripted' });
    },
    tombstone(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'not scripted' });
    },
  });

  server.addService(serverFeaturesGrpc.ServerFeaturesService, {
    getSupportedMethods(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
      const out = new serverFeaturesPb.SupportedMethods();
      out.setEventStoreServerVersion('24.10.0');
      out.setMethodsList(
        (opts.supportedMethods ?? DEFAULT_METHODS).map((m) => {
          const sm = new serverFeaturesPb.SupportedMethod();
          sm.setServiceName(m.service);
          sm.setMethodName(m.method);
          sm.setFeaturesList(m.features ?? []);
          return sm;
        }),
      );
      callback(null, out);
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });

  return {
    url: `esdb://127.0.0.1:${port}?tls=false`,
    port,
    reads,
    appends,
    get batchAppendCalls() {
      return batchAppendCalls;
    },
    onRead(h) {
      handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}
