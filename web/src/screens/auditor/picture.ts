// An image's bytes as a blob: URL for <img> (the content route needs the Bearer header, so no
// plain src), revoked when the screen leaves. One fetch per screen: each read of the content is an
// access record (issue 16).

import { useEffect, useState } from 'preact/hooks';
import { apiResponse } from '../../api/client.js';

export function usePicture(imageId: string): { url: string | undefined; error: unknown } {
  const [state, setState] = useState<{ url: string | undefined; error: unknown }>({ url: undefined, error: undefined });
  useEffect(() => {
    const ac = new AbortController();
    let url: string | undefined;
    apiResponse('GET', `/v1/images/${encodeURIComponent(imageId)}/content`, { signal: ac.signal })
      .then((r) => r.blob())
      .then(
        (blob) => {
          if (ac.signal.aborted) return;
          url = URL.createObjectURL(blob);
          setState({ url, error: undefined });
        },
        (error: unknown) => !ac.signal.aborted && setState({ url: undefined, error }),
      );
    return () => {
      ac.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [imageId]);
  return state;
}
