import { pino } from 'pino';

/** Logs only errors, to stderr, so failing tests still show why. */
export const testLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
