// A thumbnail that loads when its card comes near the viewport: one IntersectionObserver for all
// cards, at most a few fetches at once (the rest wait their turn), each picture a blob: URL
// (the route needs the Bearer header, which an <img src> cannot send), revoked on unmount.

import { useEffect, useRef, useState } from 'preact/hooks';
import { imageBlobUrl } from './images-api.js';

const PARALLEL = 4;
let running = 0;
const waiting: (() => void)[] = [];

/** Runs `task` when fewer than PARALLEL are running. */
async function inTurn<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T> {
  if (running >= PARALLEL) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    signal.throwIfAborted();
    return await task();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

const watched = new Map<Element, () => void>();
let observer: IntersectionObserver | undefined;

function whenNear(el: Element, onNear: () => void): () => void {
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        const callback = watched.get(e.target);
        observer?.unobserve(e.target);
        watched.delete(e.target);
        callback?.();
      }
    },
    { rootMargin: '300px' },
  );
  watched.set(el, onNear);
  observer.observe(el);
  return () => {
    watched.delete(el);
    observer?.unobserve(el);
  };
}

export function LazyThumbnail(props: { imageId: string; size: number; width: number; height: number }) {
  const box = useRef<HTMLDivElement>(null);
  const [near, setNear] = useState(false);
  const [url, setUrl] = useState<string>();
  const [failed, setFailed] = useState(false);

  useEffect(() => (box.current ? whenNear(box.current, () => setNear(true)) : undefined), []);

  useEffect(() => {
    if (!near) return;
    const ac = new AbortController();
    let made: string | undefined;
    inTurn(() => imageBlobUrl(props.imageId, { thumbnail: props.size }, ac.signal), ac.signal).then(
      (u) => {
        if (ac.signal.aborted) URL.revokeObjectURL(u);
        else {
          made = u;
          setUrl(u);
        }
      },
      () => !ac.signal.aborted && setFailed(true),
    );
    return () => {
      ac.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [near, props.imageId, props.size]);

  return (
    <div class="thumb" ref={box} data-thumbnail={url ? 'loaded' : failed ? 'failed' : 'waiting'}>
      {url ? <img src={url} alt="" width={props.width} height={props.height} decoding="async" /> : failed ? <span class="muted">no picture</span> : null}
    </div>
  );
}
