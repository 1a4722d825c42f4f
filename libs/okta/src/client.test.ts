import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@idgraph/core';
import { createOktaClient, OktaApiError, OktaRequestError, type OktaClient, type RequestEvent } from './index.js';
import { oktaError, rateHeaders, sendJson, startFakeOkta, type FakeHandler, type FakeOkta } from './testdata/fake-okta.js';

const TOKEN = 'ssws-secret-token-value-123';
let fake: FakeOkta | null = null;

afterEach(async () => {
  await fake?.close();
  fake = null;
});

async function clientFor(handler: FakeHandler, extra: { maxRetries?: number; timeoutMs?: number; onRequest?: (e: RequestEvent) => void } = {}): Promise<OktaClient> {
  fake = await startFakeOkta(handler);
  return createOktaClient({ orgUrl: fake.url, auth: { kind: 'ssws', token: TOKEN }, allowInsecureHttp: true, ...extra });
}

const user = (i: number) => ({ id: `00u${String(i).padStart(17, '0')}`, status: 'ACTIVE', profile: { login: `u${i}@example.com` } });

describe('org URL safety', () => {
  it('rejects http:// unless allowInsecureHttp is set, and org URLs with a path', () => {
    expect(() => createOktaClient({ orgUrl: 'http://acme.okta.com', auth: { kind: 'ssws', token: 't' } })).toThrow(/https:\/\//);
    expect(() => createOktaClient({ orgUrl: 'https://acme.okta.com/api/v1', auth: { kind: 'ssws', token: 't' } })).toThrow(/no path/);
    expect(() => createOktaClient({ orgUrl: 'not a url', auth: { kind: 'ssws', token: 't' } })).toThrow(/orgUrl/);
    expect(createOktaClient({ orgUrl: 'https://acme.okta.com/', auth: { kind: 'ssws', token: 't' } }).orgUrl).toBe('https://acme.okta.com');
  });
});

describe('paging', () => {
  it('follows Link next lines exactly as given, yields every item once, and resumes from a saved next link', async () => {
    const all = Array.from({ length: 7 }, (_, i) => user(i));
    const client = await clientFor((req, res) => {
      const after = req.url.searchParams.get('after');
      const start = after ? Number(Buffer.from(after, 'base64url').toString()) : 0;
      const limit = Number(req.url.searchParams.get('limit'));
      const items = all.slice(start, start + 3);
      const links = [`<${fake!.url}${req.url.pathname}${req.url.search}>; rel="self"`];
      if (start + 3 < all.length) {
        // Opaque cursor; the extra parameter proves the client does not rebuild the URL.
        const cursor = Buffer.from(String(start + 3)).toString('base64url');
        links.push(`<${fake!.url}/api/v1/users?after=${cursor}&limit=${limit}&opaque=1>; rel="next"`);
      }
      sendJson(res, 200, items, { link: links, ...rateHeaders(600, 599, 60) });
    });
    const pages = [];
    for await (const p of client.listUsers()) pages.push(p);
    expect(pages.map((p) => p.items.length)).toEqual([3, 3, 1]);
    expect(pages.flatMap((p) => p.items.map((u) => u.id))).toEqual(all.map((u) => u.id));
    expect(fake!.requests[0]!.url.searchParams.get('limit')).toBe('200');
    expect(fake!.requests[1]!.url.searchParams.get('opaque')).toBe('1');
    expect(pages[2]!.nextUrl).toBeNull();
    expect(pages[0]!.fetchedAt).toBeInstanceOf(Date);
    expect(fake!.requests[0]!.headers.authorization).toBe(`SSWS ${TOKEN}`);

    const resumed = [];
    for await (const p of client.listUsers({ startUrl: pages[0]!.nextUrl })) resumed.push(...p.items.map((u) => u.id));
    expect(resumed).toEqual(all.slice(3).map((u) => u.id));
  });

  it('refuses to follow a next link to another host', async () => {
    const client = await clientFor((_req, res) => {
      sendJson(res, 200, [user(1)], { link: '<https://evil.example.com/api/v1/users?after=x>; rel="next"' });
    });
    const it = client.listUsers()[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toThrow(/refusing to send Okta credentials to https:\/\/evil\.example\.com/);
  });

  it('pages IAM bodies through _links.next', async () => {
    const client = await clientFor((req, res) => {
      if (!req.url.searchParams.get('after')) {
        sendJson(res, 200, { roles: [{ id: 'cr0a', label: 'A' }], _links: { next: { href: `${fake!.url}/api/v1/iam/roles?after=cr0a` } } });
      } else sendJson(res, 200, { roles: [{ id: 'cr0b', label: 'B' }], _links: {} });
    });
    const ids = [];
    for await (const p of client.listCustomRoles()) ids.push(...p.items.map((r) => r.id));
    expect(ids).toEqual(['cr0a', 'cr0b']);
  });
});

describe('retries and rate limits', () => {
  it('waits for the reset on a 429 and then completes', async () => {
    const events: RequestEvent[] = [];
    const client = await clientFor(
      (_req, res, n) => {
        if (n === 1) sendJson(res, 200, [user(1)], rateHeaders(600, 500, 30));
        else if (n === 2) sendJson(res, 429, oktaError('E0000047', 'API call exceeded rate limit due to too many requests.'), rateHeaders(600, 0, 1));
        else sendJson(res, 200, [user(2)], rateHeaders(600, 599, 60));
      },
      { onRequest: (e) => events.push(e) },
    );
    await client.getJson('/api/v1/users');
    const t0 = Date.now();
    const { body } = await client.getJson<unknown[]>('/api/v1/users');
    expect(body).toHaveLength(1);
    // Reset is 1–2 s ahead in whole seconds; the client must not re-send before it.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const s = client.stats();
    expect(s.waited429).toBe(1);
    expect(s.waited429Ms).toBeGreaterThanOrEqual(800);
    expect(events.map((e) => e.status)).toEqual([200, 429, 200]);
    expect(events[2]!.retried).toBe(true);
    expect(events[2]!.bucket).toBe('/api/v1/users');
  });

  it('backs off briefly on a concurrency 429 (limit 0)', async () => {
    const client = await clientFor((_req, res, n) => {
      if (n === 1) sendJson(res, 429, oktaError('E0000047', 'rate'), { 'x-rate-limit-limit': '0', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000) + 1) });
      else sendJson(res, 200, [], rateHeaders(600, 599, 60));
    });
    const t0 = Date.now();
    await client.getJson('/api/v1/groups');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(fake!.requests).toHaveLength(2);
  });

  it('retries 5xx, dropped connections and truncated JSON, then succeeds', async () => {
    const client = await clientFor((_req, res, n) => {
      if (n === 1) sendJson(res, 500, oktaError('E0000009', 'Internal Server Error'));
      else if (n === 2) res.socket?.destroy();
      else if (n === 3) {
        res.setHeader('content-type', 'application/json');
        res.end('[{"id":"00u1","sta');
      } else sendJson(res, 200, [user(1)]);
    });
    const { body } = await client.getJson<unknown[]>('/api/v1/users');
    expect(body).toHaveLength(1);
    expect(client.stats()).toMatchObject({ requests: 4, retries: 3 });
  });

  it('retries a timed-out request', async () => {
    const client = await clientFor(
      (_req, res, n) => {
        if (n === 1) setTimeout(() => sendJson(res, 200, []), 1000);
        else sendJson(res, 200, [user(1)]);
      },
      { timeoutMs: 150 },
    );
    const { body } = await client.getJson<unknown[]>('/api/v1/users');
    expect(body).toHaveLength(1);
  });

  it('gives up after maxRetries with the last Okta error', async () => {
    const client = await clientFor((_req, res) => sendJson(res, 503, oktaError('E0000009', 'Internal Server Error')), { maxRetries: 2 });
    const err = await client.getJson('/api/v1/users').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OktaApiError);
    expect((err as OktaApiError).status).toBe(503);
    expect(fake!.requests).toHaveLength(3);
  });

  it('logs retries without credentials', async () => {
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logged += chunk.toString();
        cb();
      },
    });
    fake = await startFakeOkta((_req, res, n) => (n === 1 ? sendJson(res, 502, oktaError('E0000009', 'Internal Server Error')) : sendJson(res, 200, [])));
    const client = createOktaClient({
      orgUrl: fake.url,
      auth: { kind: 'ssws', token: TOKEN },
      allowInsecureHttp: true,
      logger: createLogger({ level: 'debug' }, sink),
    });
    await client.getJson('/api/v1/users', { search: 'status eq "ACTIVE"' });
    expect(logged).toMatch(/okta request failed; retrying/);
    expect(logged).toMatch(/HTTP 502/);
    expect(logged).not.toContain(TOKEN);
  });

  it('reports network failure after retries without leaking the token', async () => {
    const client = await clientFor(
      (_req, res) => {
        res.socket?.destroy();
      },
      { maxRetries: 1 },
    );
    const err = await client.getJson('/api/v1/users?limit=1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OktaRequestError);
    expect(String((err as Error).message)).toMatch(/GET \/api\/v1\/users\?limit=1 failed/);
    expect(JSON.stringify(err) + String(err)).not.toContain(TOKEN);
  });

  it('stops on abort', async () => {
    fake = await startFakeOkta((_req, res) => {
      setTimeout(() => sendJson(res, 200, []), 2000);
    });
    const ac = new AbortController();
    const client = createOktaClient({ orgUrl: fake.url, auth: { kind: 'ssws', token: TOKEN }, allowInsecureHttp: true, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop requested')), 100);
    await expect(client.getJson('/api/v1/users')).rejects.toThrow('stop requested');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('errors', () => {
  it('surfaces other 4xx at once with Okta error fields', async () => {
    const client = await clientFor((_req, res) =>
      sendJson(res, 400, { ...oktaError('E0000031', 'Invalid search criteria.'), errorCauses: [{ errorSummary: 'bad operator' }] }),
    );
    const err = (await client.getJson('/api/v1/users', { search: 'status ne "X"' }).catch((e: unknown) => e)) as OktaApiError;
    expect(err).toBeInstanceOf(OktaApiError);
    expect(err).toMatchObject({ status: 400, errorCode: 'E0000031', errorSummary: 'Invalid search criteria.', errorId: 'oaeE0000031id' });
    expect(err.message).toMatch(/bad operator/);
    expect(fake!.requests).toHaveLength(1);
    expect(err.message).not.toContain(TOKEN);
  });

  it('parses the missing scope from WWW-Authenticate', async () => {
    const client = await clientFor((_req, res) =>
      sendJson(res, 403, {}, {
        'www-authenticate':
          'Bearer authorization_uri="http://x/oauth2/v1/authorize", realm="http://x", scope="okta.groups.read", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/groups"',
      }),
    );
    const err = (await client.getJson('/api/v1/groups').catch((e: unknown) => e)) as OktaApiError;
    expect(err.requiredScope).toBe('okta.groups.read');
    expect(err.authError).toBe('insufficient_scope');
    expect(err.message).toMatch(/lacks scope okta\.groups\.read/);
  });

  it('returns null for a 404 on get*', async () => {
    const client = await clientFor((_req, res) => sendJson(res, 404, oktaError('E0000007', 'Not found: Resource not found: 00u1 (User)')));
    expect(await client.getUser('00u1')).toBeNull();
  });
});

describe('System Log polling', () => {
  it('asks ASCENDING without until, and returns the next link', async () => {
    const client = await clientFor((req, res) =>
      sendJson(res, 200, [], { link: [`<${fake!.url}${req.url.pathname}${req.url.search}>; rel="self"`, `<${fake!.url}/api/v1/logs?after=1714675441520_1&limit=1000>; rel="next"`] }),
    );
    const since = new Date('2026-01-01T00:00:00.000Z');
    const page = await client.pollLogs({ since });
    const q = fake!.requests[0]!.url.searchParams;
    expect(q.get('since')).toBe(since.toISOString());
    expect(q.get('sortOrder')).toBe('ASCENDING');
    expect(q.get('limit')).toBe('1000');
    expect(q.has('until')).toBe(false);
    expect(page.items).toEqual([]);
    expect(page.nextUrl).toBe(`${fake!.url}/api/v1/logs?after=1714675441520_1&limit=1000`);
    await client.pollLogs({ startUrl: page.nextUrl });
    expect(fake!.requests[1]!.url.search).toBe('?after=1714675441520_1&limit=1000');
    await expect(client.pollLogs({})).rejects.toThrow(/needs `since`/);
  });
});
