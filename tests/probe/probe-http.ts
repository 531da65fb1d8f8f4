// The probe's HTTP side: one request per probe, each with its own X-Request-Id (the app makes a
// sane one the correlation id of every event the request causes), so the events a rejected
// request wrote can be counted afterwards by correlation id.

export interface ProbeResponse {
  status: number;
  /** The body as text (first 2 000 characters), or the connection error. */
  text: string;
  json: unknown;
}

export interface ProbeRequest {
  method: string;
  path: string;
  token?: string | undefined;
  headers?: Record<string, string>;
  /** JSON-serialised unless `raw` or `form` is given. */
  body?: unknown;
  raw?: string | Buffer;
  form?: FormData;
}

export async function send(baseUrl: string, requestId: string, req: ProbeRequest): Promise<ProbeResponse> {
  const headers: Record<string, string> = { 'x-request-id': requestId, ...req.headers };
  if (req.token !== undefined) headers.authorization = `Bearer ${req.token}`;
  let body: FormData | string | Uint8Array | undefined;
  if (req.form) body = req.form;
  else if (req.raw !== undefined) {
    body = typeof req.raw === 'string' ? req.raw : new Uint8Array(req.raw);
    headers['content-type'] ??= 'application/json';
  } else if (req.body !== undefined) {
    body = JSON.stringify(req.body);
    headers['content-type'] ??= 'application/json';
  }
  try {
    const res = await fetch(`${baseUrl}${req.path}`, { method: req.method, headers, body, signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text: text.slice(0, 2000), json };
  } catch (err) {
    // A refused upload may close the connection before the whole body is sent: not an answer,
    // and not a server error either (status 0).
    return { status: 0, text: `connection: ${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ''}`, json: undefined };
  }
}
