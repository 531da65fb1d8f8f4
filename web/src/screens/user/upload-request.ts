// One upload (POST /v1/images, multipart field `file`) over XMLHttpRequest, for its upload
// progress events (fetch has none): the Bearer token from memory, an Idempotency-Key so that a
// retry of the same file cannot upload it twice, the answer or the API's problem.

import { accessToken, refreshAccess } from '../../api/client.js';
import { ProblemError, type ProblemBody } from '../../api/problem.js';

export interface Accepted {
  imageId: string;
  status: 'pending';
  position: string;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function once(file: File, key: string, token: string, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<Accepted> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/v1/images');
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.setRequestHeader('idempotency-key', key);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      const body = parse(xhr.responseText);
      if (xhr.status === 202 && body && typeof body === 'object') {
        onProgress(1);
        resolve(body as Accepted);
        return;
      }
      const problem: ProblemBody = body && typeof body === 'object' ? (body as ProblemBody) : { title: xhr.statusText, detail: `HTTP ${xhr.status}` };
      reject(new ProblemError(xhr.status, typeof problem.code === 'string' ? problem.code : `http_${xhr.status}`, problem));
    };
    xhr.onerror = () => reject(new ProblemError(0, 'network_error', { title: 'Network error', detail: 'the upload did not reach the server' }));
    xhr.onabort = () => reject(new ProblemError(0, 'aborted', { title: 'Cancelled', detail: 'the upload was cancelled' }));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** Uploads `file`; an expired token is refreshed once and the same request (same key) sent again. */
export async function uploadFile(file: File, key: string, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<Accepted> {
  try {
    return await once(file, key, await accessToken(), onProgress, signal);
  } catch (err) {
    if (!(err instanceof ProblemError) || err.status !== 401 || err.code !== 'token_expired') throw err;
    const grant = await refreshAccess();
    if (!grant) throw err;
    onProgress(0);
    return once(file, key, grant.accessToken, onProgress, signal);
  }
}
