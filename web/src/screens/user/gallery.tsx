// The gallery (the home screen): the caller's photos newest first, a page at a time (GET
// /v1/images, cursor), each with its thumbnail (loaded when near the viewport) and its status,
// which changes live (GraphQL myImages) and is announced in one polite live region. After the
// first render of its items it marks `gallery-ready` (bench/ measures it).

import { memo } from 'preact/compat';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ScreenProps } from '../../screen.js';
import { download, ErrorNote, Page, Spinner } from '../../ui/kit.js';
import { takeDeleted, type Deleted } from './flash.js';
import { listImages, THUMBNAIL_SIZE, type ImageSummary } from './images-api.js';
import { LazyThumbnail } from './lazy-thumbnail.js';
import { isNewer, useMyImages } from './my-images-live.js';
import { StatusBadge, statusText } from './status-badge.js';

interface Listing {
  items: ImageSummary[];
  nextCursor: string | null;
}

/** `items` with `next` put in (replacing its older self; a new upload goes first). */
function merged(items: ImageSummary[], next: ImageSummary, complete: boolean): ImageSummary[] {
  const i = items.findIndex((x) => x.imageId === next.imageId);
  if (i >= 0) return isNewer(next, items[i]) ? items.map((x, k) => (k === i ? next : x)) : items;
  // Unknown: newer than everything shown (an upload) goes first; an older one comes with its page.
  const newest = items[0];
  return !newest || next.uploadedAt >= newest.uploadedAt || complete ? [next, ...items] : items;
}

const Card = memo(function Card(props: { image: ImageSummary }) {
  const { image } = props;
  const scale = Math.min(1, THUMBNAIL_SIZE / Math.max(image.width, image.height, 1));
  return (
    <li class="card gallery-card" data-image-id={image.imageId}>
      <a href={`#/images/${image.imageId}`}>
        <LazyThumbnail imageId={image.imageId} size={THUMBNAIL_SIZE} width={Math.round(image.width * scale)} height={Math.round(image.height * scale)} />
        <span class="filename">{image.filename}</span>
      </a>
      <StatusBadge image={image} />
    </li>
  );
});

function DeletedNote(props: { deleted: Deleted }) {
  const { filename, answer } = props.deleted;
  return (
    <div class="card note" role="status" data-deleted={answer.imageId}>
      <p>
        <strong>{filename}</strong> is deleted: its faces, filename and bytes are erased.{' '}
        {answer.erasureStatus === 'completed' ? 'The erasure is complete.' : answer.erasureId ? `The erasure ${answer.erasureId} is still running.` : ''}
      </p>
      {answer.receipt ? (
        <p>
          <button type="button" class="secondary" onClick={() => download(`erasure-receipt-${answer.erasureId ?? answer.imageId}.json`, answer)}>
            Download the erasure receipt
          </button>
        </p>
      ) : null}
    </div>
  );
}

export function GalleryScreen(_props: ScreenProps) {
  const [deleted] = useState(takeDeleted);
  const [listing, setListing] = useState<Listing>();
  const [error, setError] = useState<unknown>();
  const [loadingMore, setLoadingMore] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  /** Changes that arrived before the first page: applied to it. */
  const early = useRef(new Map<string, ImageSummary>());
  const loaded = useRef(false);
  const marked = useRef(false);

  useMyImages(
    useCallback((image: ImageSummary) => {
      if (!loaded.current) {
        if (isNewer(image, early.current.get(image.imageId))) early.current.set(image.imageId, image);
      } else setListing((l) => l && { ...l, items: merged(l.items, image, l.nextCursor === null) });
      setAnnouncement(`${image.filename}: ${statusText(image)}`);
    }, []),
    setError,
  );

  useEffect(() => {
    const ac = new AbortController();
    listImages({ consistentWith: deleted?.answer.position, signal: ac.signal }).then((page) => {
      let items = page.items.filter((x) => x.imageId !== deleted?.answer.imageId);
      for (const image of early.current.values()) items = merged(items, image, page.nextCursor === null);
      early.current.clear();
      loaded.current = true;
      setListing({ items, nextCursor: page.nextCursor });
    }, (err: unknown) => !ac.signal.aborted && setError(err));
    return () => ac.abort();
  }, []);

  useEffect(() => {
    if (listing && !marked.current) {
      marked.current = true;
      performance.mark('gallery-ready');
    }
  }, [listing]);

  const more = async () => {
    if (!listing?.nextCursor) return;
    setLoadingMore(true);
    try {
      const page = await listImages({ cursor: listing.nextCursor });
      setListing((l) => {
        const have = new Set(l?.items.map((x) => x.imageId));
        return { items: [...(l?.items ?? []), ...page.items.filter((x) => !have.has(x.imageId))], nextCursor: page.nextCursor };
      });
    } catch (err) {
      setError(err);
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <Page
      title="Gallery"
      actions={
        <a class="button" href="#/upload">
          Upload photos
        </a>
      }
    >
      {deleted ? <DeletedNote deleted={deleted} /> : null}
      <ErrorNote error={error} />
      <p class="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
      {!listing ? (
        <Spinner label="Loading your photos…" />
      ) : listing.items.length === 0 ? (
        <p>
          No photos yet. <a href="#/upload">Upload some</a>.
        </p>
      ) : (
        <>
          <ul class="gallery" aria-label="Photos">
            {listing.items.map((image) => (
              <Card key={image.imageId} image={image} />
            ))}
          </ul>
          {listing.nextCursor ? (
            <p>
              <button type="button" class="secondary" disabled={loadingMore} onClick={() => void more()}>
                {loadingMore ? 'Loading…' : 'Show more photos'}
              </button>
            </p>
          ) : null}
        </>
      )}
    </Page>
  );
}
