import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { prettyDestination } from './logger/pretty.js';

/** Readable lines (src/logger/pretty.ts) for LOG_FORMAT=pretty, or `auto` in development on a terminal; JSON lines otherwise. */
export function wantsPretty(config: Pick<Config, 'logFormat' | 'nodeEnv'>, stdout: { isTTY?: boolean } = process.stdout): boolean {
  if (config.logFormat !== 'auto') return config.logFormat === 'pretty';
  return config.nodeEnv === 'development' && stdout.isTTY === true;
}

export function createLogger(config: Pick<Config, 'logLevel' | 'role' | 'logFormat' | 'nodeEnv'>): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'facetrail', role: config.role, pid: process.pid },
    redact: { paths: ['req.headers.authorization', 'password', '*.password', 'refreshToken', '*.refreshToken'], censor: '[redacted]' },
  };
  return wantsPretty(config) ? pino(options, prettyDestination(process.stdout)) : pino(options);
}
