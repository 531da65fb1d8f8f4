// CPU time used by this process (every thread, the load generator's included), by the PostgreSQL
// backends of one database plus the shared WAL writer, and by redis-server, read from Linux's
// /proc: the cost of a request measured where it is spent, which the machine's noise (other
// processes on the same cores) moves far less than throughput. Zero where /proc is missing.

import { readdir, readFile } from 'node:fs/promises';

export interface CpuSnapshot {
  /** Milliseconds of CPU. */
  node: number;
  postgres: number;
  redis: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

async function ticksOf(pid: string): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

/** `dbName`'s backends are those whose process title names it (`postgres: user db host(port) …`). */
export async function cpuSnapshot(dbName: string): Promise<CpuSnapshot> {
  const own = process.cpuUsage();
  const out: CpuSnapshot = { node: (own.user + own.system) / 1000, postgres: 0, redis: 0 };
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  await Promise.all(
    pids.map(async (pid) => {
      try {
        const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
        // (Read first, then add: `out.x += await …` would add to a value read before the await.)
        if (cmdline.startsWith('postgres:') && (cmdline.includes(` ${dbName} `) || cmdline.includes('walwriter'))) {
          const ms = (await ticksOf(pid)) * TICK_MS;
          out.postgres += ms;
        } else if (cmdline.startsWith('redis-server')) {
          const ms = (await ticksOf(pid)) * TICK_MS;
          out.redis += ms;
        }
      } catch {
        // gone meanwhile
      }
    }),
  );
  return out;
}

export function cpuSince(a: CpuSnapshot, b: CpuSnapshot): CpuSnapshot {
  return { node: b.node - a.node, postgres: b.postgres - a.postgres, redis: b.redis - a.redis };
}
