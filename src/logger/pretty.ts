// Readable log lines for a developer at a terminal (LOG_FORMAT=pretty, or `auto` in development on
// a TTY), in the manner of pino-pretty, which is not a dependency: pino writes its JSON lines to
// this destination, which prints `12:03:04.567 INFO  [api] request completed  method=GET …`, an
// error's stack under its line. Anything that is not a JSON line passes through unchanged.

const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '\x1b[90m'],
  20: ['DEBUG', '\x1b[36m'],
  30: ['INFO ', '\x1b[32m'],
  40: ['WARN ', '\x1b[33m'],
  50: ['ERROR', '\x1b[31m'],
  60: ['FATAL', '\x1b[35m'],
};
const RESET = '\x1b[0m';
const DIM = '\x1b[90m';
/** Fields every line has (said once at the start, or not at all). */
const HIDDEN = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'role', 'v']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

function clock(time: unknown): string {
  const d = new Date(typeof time === 'number' ? time : Date.now());
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** One JSON log line as readable text (with ANSI colours when `colour`); not JSON: as it came. */
export function prettyLine(line: string, colour: boolean): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (rec === null || typeof rec !== 'object') return line;
  const [name, tint] = LEVELS[rec.level as number] ?? [String(rec.level).padEnd(5), ''];
  const c = (code: string, text: string) => (colour && code ? `${code}${text}${RESET}` : text);
  const fields: string[] = [];
  let stack: string | undefined;
  for (const [k, v] of Object.entries(rec)) {
    if (HIDDEN.has(k) || v === undefined) continue;
    if (k === 'err' && v && typeof v === 'object') {
      const e = v as { type?: string; message?: string; stack?: string };
      fields.push(`err=${value(e.message ?? e.type ?? v)}`);
      stack = e.stack;
      continue;
    }
    fields.push(`${k}=${value(v)}`);
  }
  const role = typeof rec.role === 'string' ? `[${rec.role}] ` : '';
  const head = `${c(DIM, clock(rec.time))} ${c(tint, name)} ${c(DIM, role)}${typeof rec.msg === 'string' ? rec.msg : value(rec.msg ?? '')}`;
  const tail = fields.length > 0 ? `  ${c(DIM, fields.join(' '))}` : '';
  return `${head}${tail}${stack ? `\n${c(DIM, stack.split('\n').map((l) => `    ${l}`).join('\n'))}` : ''}`;
}

/** A pino destination that writes readable lines to `out`. */
export function prettyDestination(out: NodeJS.WritableStream & { isTTY?: boolean }): { write(chunk: string): void } {
  const colour = out.isTTY === true && !process.env.NO_COLOR;
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(`${prettyLine(line, colour)}\n`);
    },
  };
}
