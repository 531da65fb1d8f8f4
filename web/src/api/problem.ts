// An RFC 9457 problem the API answered with, as an Error the screens can show: its title, detail
// and machine-readable code (which the screens branch on, never on the text).

export interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: { path?: string; message?: string }[];
  [extra: string]: unknown;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly body: ProblemBody,
  ) {
    super(body.detail ?? body.title ?? `HTTP ${status}`);
    this.name = 'ProblemError';
  }
}

/** The problem of a failed response (or a plain one when the body is not problem+json). */
export async function problemOf(response: Response): Promise<ProblemError> {
  const text = await response.text().catch(() => '');
  let body: ProblemBody = { title: response.statusText, detail: text.slice(0, 300) || `HTTP ${response.status}` };
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed as ProblemBody;
  } catch {
    // not JSON: keep the text
  }
  return new ProblemError(response.status, typeof body.code === 'string' ? body.code : `http_${response.status}`, body);
}

/** One line for the user: the detail, with the code for a bug report. */
export function describeError(err: unknown): string {
  if (err instanceof ProblemError) return `${err.message} (${err.code})`;
  if (err instanceof Error) return err.message;
  return String(err);
}
