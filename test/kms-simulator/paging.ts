/**
 * Marker based paging shared by the List* operations.
 *
 * Items are listed in ascending order of a sort key; a marker encodes the sort key of the last
 * returned item so that the next page starts after it, even if items were added or removed in
 * between. Markers are opaque to callers.
 */
import { SimError, invalidMarker } from './errors';

const PREFIX = 'simkms1:';

export interface Page<T> {
  readonly items: T[];
  readonly nextMarker?: string;
  readonly truncated: boolean;
}

export function encodeMarker(sortKey: string): string {
  return Buffer.from(PREFIX + sortKey, 'utf8').toString('base64');
}

export function decodeMarker(marker: string, error: (msg: string) => SimError = invalidMarker): string {
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(marker) ? Buffer.from(marker, 'base64').toString('utf8') : '';
  if (!decoded.startsWith(PREFIX)) {
    throw error(`Invalid marker: ${marker}`);
  }
  return decoded.slice(PREFIX.length);
}

/** Returns one page of `items` (which must be sorted ascending by `sortKey`). */
export function paginate<T>(
  items: readonly T[],
  sortKey: (item: T) => string,
  limit: number,
  marker: string | undefined,
  error?: (msg: string) => SimError,
): Page<T> {
  let start = 0;
  if (marker !== undefined) {
    const after = decodeMarker(marker, error);
    start = items.findIndex((item) => sortKey(item) > after);
    if (start < 0) {
      start = items.length;
    }
  }
  const slice = items.slice(start, start + limit);
  const truncated = start + limit < items.length;
  return {
    items: slice,
    truncated,
    ...(truncated ? { nextMarker: encodeMarker(sortKey(slice[slice.length - 1])) } : {}),
  };
}
