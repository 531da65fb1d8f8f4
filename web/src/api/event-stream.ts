// Server-sent events over fetch(): EventSource cannot send the Authorization header, so the
// console reads text/event-stream itself (the API's SSE routes take the Bearer token).

import { accessToken } from './client.js';
import { problemOf } from './problem.js';

export interface StreamEvent {
  event: string;
  data: string;
  id?: string;
}

/** Calls onEvent for each event until the signal aborts or the stream ends. */
export async function readEventStream(path: string, onEvent: (e: StreamEvent) => void, signal: AbortSignal): Promise<void> {
  const response = await fetch(path, { headers: { authorization: `Bearer ${await accessToken()}`, accept: 'text/event-stream' }, signal });
  if (!response.ok || !response.body) throw await problemOf(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      const e: StreamEvent = { event: 'message', data: '' };
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith(':')) continue;
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const v = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'event') e.event = v;
        else if (field === 'data') data.push(v);
        else if (field === 'id') e.id = v;
      }
      e.data = data.join('\n');
      if (data.length > 0) onEvent(e);
    }
  }
}
