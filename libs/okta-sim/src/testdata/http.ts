/** Test helpers: raw HTTP access to the simulator (keeps separate Link header lines visible). */
import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Every `Link` header line, in order. */
  links: string[];
  text: string;
  json: unknown;
}

export function httpGet(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const links: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          if (res.rawHeaders[i]?.toLowerCase() === 'link') links.push(res.rawHeaders[i + 1] as string);
        }
        let json: unknown;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, links, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function nextLink(links: string[]): string | null {
  for (const l of links) {
    const m = /^<([^>]+)>; rel="next"$/.exec(l);
    if (m) return m[1] as string;
  }
  return null;
}

/** Follows rel="next" until the end; returns every item and the number of pages. */
export async function collectAll(firstUrl: string, headers: Record<string, string>): Promise<{ items: Record<string, unknown>[]; pages: number }> {
  const items: Record<string, unknown>[] = [];
  let url: string | null = firstUrl;
  let pages = 0;
  while (url) {
    const res = await httpGet(url, headers);
    if (res.status !== 200) throw new Error(`GET ${url} → ${res.status} ${res.text}`);
    items.push(...(res.json as Record<string, unknown>[]));
    pages++;
    url = nextLink(res.links);
    if (pages > 10_000) throw new Error('paging did not terminate');
  }
  return { items, pages };
}
