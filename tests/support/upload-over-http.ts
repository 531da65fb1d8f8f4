// An upload as a client sends it: POST /v1/images, multipart field `file`, expecting 202.

import { expect } from 'vitest';

export interface Accepted {
  imageId: string;
  position: string;
}

export async function uploadOverHttp(baseUrl: string, token: string, bytes: Buffer, name: string, type = 'image/jpeg'): Promise<Accepted> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  const res = await fetch(`${baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  expect(res.status, await res.clone().text()).toBe(202);
  return (await res.json()) as Accepted;
}
