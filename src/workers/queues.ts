// The names of the BullMQ queues (their keys: `<bullPrefix(config)>:<name>:…`); src/workers/index.ts
// lists each with what consumes it. Connections: src/db/bullmq-connections.ts.

export const ANALYSIS_QUEUE = 'analysis';
export const MAINTENANCE_QUEUE = 'maintenance';
