// Starts `src/main.ts` as a real child process and finds the address it listens on.

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  exited: Promise<number | null>;
}

export interface ProcessOptions {
  /** The program to run (default: this Node.js, with `args`); e.g. `npm` with ['start']. */
  command?: string;
  /** NODE_ENV of the child (default 'test'); null leaves it unset, as in a user's shell. */
  nodeEnv?: string | null;
}

export function startProcess(env: Record<string, string>, args: string[] = ['--import', 'tsx', 'src/main.ts'], opts: ProcessOptions = {}) {
  const { NODE_ENV: _parentNodeEnv, ...parentEnv } = process.env;
  const nodeEnv = opts.nodeEnv === undefined ? 'test' : opts.nodeEnv;
  const child = spawn(opts.command ?? process.execPath, args, {
    cwd: root,
    env: { ...parentEnv, ...(nodeEnv === null ? {} : { NODE_ENV: nodeEnv }), LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Resolves with the base URL once the process logs that it listens; rejects if it exits first. */
export async function startServer(env: Record<string, string>, timeoutMs = 30_000, how: ProcessOptions & { args?: string[] } = {}): Promise<ServerProcess> {
  const p = startProcess(env, how.args, how);
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${timeoutMs} ms:\n${p.output()}`)), timeoutMs);
    const onData = () => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(p.output());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    p.child.stdout.on('data', onData);
    void p.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${p.output()}`));
    });
  });
  return { ...p, baseUrl };
}
