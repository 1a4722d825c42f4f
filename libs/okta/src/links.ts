/**
 * RFC 8288 Link parsing. Okta sends `self` and `next` as separate header lines; fetch joins them
 * with ", ". URLs sit inside angle brackets, so commas inside a URL never split an entry.
 */
export function parseLinkHeader(value: string | null): Record<string, string> {
  const links: Record<string, string> = {};
  if (!value) return links;
  const entryRe = /<([^>]*)>((?:\s*;\s*[^;,<]+)*)/g;
  for (const m of value.matchAll(entryRe)) {
    const url = m[1];
    const params = m[2] ?? '';
    const rel = /rel\s*=\s*"?([^";,]+)"?/i.exec(params)?.[1];
    if (url === undefined || !rel) continue;
    for (const r of rel.trim().split(/\s+/)) if (!(r in links)) links[r] = url;
  }
  return links;
}

/** The `_links.next.href` of an IAM-style body (`{roles|value|resource-sets: [], _links: {next}}`). */
export function bodyNextLink(body: unknown): string | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const links = (body as { _links?: unknown })._links;
  if (!links || typeof links !== 'object') return null;
  const next = (links as { next?: unknown }).next;
  if (next && typeof next === 'object' && typeof (next as { href?: unknown }).href === 'string') {
    return (next as { href: string }).href;
  }
  return null;
}

const KNOWN_ITEM_KEYS = ['value', 'roles', 'resource-sets'] as const;

/** The list items of a page body: a bare array, or the array under `itemsKey` / a known IAM key. */
export function pageItems<T>(body: unknown, itemsKey?: string): T[] {
  if (Array.isArray(body)) return body as T[];
  if (!body || typeof body !== 'object') throw new TypeError('page body is not a JSON array or object');
  const rec = body as Record<string, unknown>;
  if (itemsKey !== undefined) {
    const v = rec[itemsKey];
    if (Array.isArray(v)) return v as T[];
    // An empty IAM page may leave the list key out altogether.
    if (v === undefined || v === null) return [];
    throw new TypeError(`page body has "${itemsKey}" but it is not an array`);
  }
  for (const k of KNOWN_ITEM_KEYS) {
    const v = rec[k];
    if (Array.isArray(v)) return v as T[];
  }
  throw new TypeError(`page body is neither an array nor an object with one of: ${KNOWN_ITEM_KEYS.join(', ')} (pass itemsKey)`);
}
