// The registries are the one list of each kind of thing (src/projections/index.ts,
// src/workers/index.ts): names are unique (checkpoints, advisory locks, scheduler ids and queue
// keys are keyed by them) and every reactor of the log has somewhere to send its jobs.

import { describe, expect, it } from 'vitest';
import { consumers, projections, reactors } from '../../../src/projections/index.js';
import { jobBridges, maintenanceTasks, queueNames, queueWorkers } from '../../../src/workers/index.js';

const duplicates = (names: readonly string[]) => names.filter((n, i) => names.indexOf(n) !== i);

describe('registries', () => {
  it('consumers of the log: every projection and reactor, and the notary, each name once', () => {
    expect(consumers.map((c) => c.name)).toEqual([...projections.map((p) => p.name), ...reactors.map((r) => r.name), 'notary']);
    expect(duplicates(consumers.map((c) => c.name))).toEqual([]);
  });

  it('checkpoint names never change (stored in rm.checkpoints by deployments)', () => {
    expect(consumers.map((c) => c.name).sort()).toEqual(['access-records', 'erasure-executor', 'face-index', 'images', 'job-bridge', 'notary', 'people', 'people-reactor', 'sessions', 'users']);
  });

  it('every reactor has exactly one job bridge, and every bridge runs a listed reactor', () => {
    expect(jobBridges.map((b) => b.reactor.name).sort()).toEqual(reactors.map((r) => r.name).sort());
  });

  it('queues and maintenance tasks: each name once', () => {
    expect(queueNames).toEqual(queueWorkers.map((q) => q.queue));
    expect(duplicates(queueNames)).toEqual([]);
    expect(duplicates(maintenanceTasks.map((t) => t.name))).toEqual([]);
    expect(maintenanceTasks.map((t) => t.name).sort()).toEqual(['collect-blobs', 'purge-sessions', 'reanalyze-stale']);
  });
});
