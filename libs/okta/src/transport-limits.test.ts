/**
 * The transport against servers that misbehave on purpose: one that trickles its body a byte a
 * second (the attempt must still end at its timeout, also when the garbage collector runs while it
 * waits) and one that sends far more than any Okta page (the request fails at the cap, memory stays
 * bounded).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { maxResponseBytesFromEnv } from '@idgraph/core';
import { createMemoryRateGovernor, createOktaClient, OktaRequestError, type RequestEvent } from './index.js';

// Forced GC is what made the old per-attempt AbortSignal.timeout disappear mid-request. Exposing
// gc at run time gives this file the same `gc()` as `node --expose-gc` without changing how every
// other test file runs.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let server: Server | null = null;

afterEach(async () => {
  const s = server;
  server = null;
  if (s) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('a server that trickles its body', () => {
  it('ends the attempt at its timeout although the caller passes a signal and GC runs meanwhile', async () => {
    expect(typeof gc).toBe('function');
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      // One byte a second, forever: headers arrive at once, the body never completes.
      const timer = setInterval(() => res.write(' '), 1000);
      res.on('close', () => clearInterval(timer));
    });
    // Every collection passes its own signal; the bug only showed with one.
    const caller = new AbortController();
    const client = createOktaClient({
      orgUrl: url,
      auth: { kind: 'ssws', token: 'trickle-token' },
      allowInsecureHttp: true,
      timeoutMs: 1500,
      maxRetries: 0,
      signal: caller.signal,
    });
    const gcTimer = setInterval(() => gc(), 50);
    const started = Date.now();
    try {
      const err = await client.getJson('/api/v1/users').then(
        () => new Error('the request succeeded'),
        (e: unknown) => e,
      );
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(OktaRequestError);
      expect((err as Error).message).toMatch(/GET \/api\/v1\/users failed: timed out after 1500 ms/);
      expect(elapsed).toBeGreaterThanOrEqual(1400);
      expect(elapsed).toBeLessThan(4000);
    } finally {
      clearInterval(gcTimer);
    }
    // The caller's own abort still works after the attempt's timer was cleared.
    expect(caller.signal.aborted).toBe(false);
  }, 20_000);

  it('many attempts in flight under one caller signal: no listener warning, and one abort ends them all', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const timer = setInterval(() => res.write(' '), 1000);
      res.on('close', () => clearInterval(timer));
    });
    const caller = new AbortController();
    // A governor that lets all 25 through at once, so all 25 attempts are in flight together.
    const governor = createMemoryRateGovernor({ maxConcurrent: 30, probeCount: 30 });
    const client = createOktaClient({ orgUrl: url, auth: { kind: 'ssws', token: 't' }, allowInsecureHttp: true, timeoutMs: 30_000, maxRetries: 0, signal: caller.signal, governor });
    let started = 0;
    server!.on('request', () => started++);
    const pending = Array.from({ length: 25 }, (_, i) => client.getJson(`/api/v1/users/${i}`).then(() => 'ok', (e: Error) => e.message));
    await expect.poll(() => started, { timeout: 10_000 }).toBe(25);
    caller.abort(new Error('stop'));
    expect(new Set(await Promise.all(pending))).toEqual(new Set(['stop']));
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('a caller abort ends a trickling attempt at once, with the caller\'s reason', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const timer = setInterval(() => res.write(' '), 1000);
      res.on('close', () => clearInterval(timer));
    });
    const caller = new AbortController();
    const client = createOktaClient({ orgUrl: url, auth: { kind: 'ssws', token: 't' }, allowInsecureHttp: true, timeoutMs: 30_000, maxRetries: 3, signal: caller.signal });
    const pending = client.getJson('/api/v1/users');
    setTimeout(() => caller.abort(new Error('shutting down')), 300);
    const started = Date.now();
    await expect(pending).rejects.toThrow('shutting down');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('a server that sends a huge body', () => {
  const MiB = 1024 * 1024;

  it('fails the request at the cap without retrying, reading no more than the cap, with memory bounded', async () => {
    let requests = 0;
    let bytesSent = 0;
    let aborted = false;
    const chunk = Buffer.alloc(MiB, 0x20);
    const url = await listen((_req, res) => {
      requests++;
      // No Content-Length: the size only shows while streaming. 200 MiB unless cut off.
      res.writeHead(200, { 'content-type': 'application/json' });
      let left = 200;
      const pump = () => {
        while (left > 0) {
          left--;
          bytesSent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (aborted = left > 0));
      pump();
    });
    const events: RequestEvent[] = [];
    const client = createOktaClient({
      orgUrl: url,
      auth: { kind: 'ssws', token: 't' },
      allowInsecureHttp: true,
      maxResponseBytes: 8 * MiB,
      maxRetries: 3,
      onRequest: (e) => events.push(e),
    });
    gc();
    const before = process.memoryUsage().rss;
    const err = await client.getJson('/api/v1/users').then(() => new Error('the request succeeded'), (e: unknown) => e);
    const grown = process.memoryUsage().rss - before;
    expect(err).toBeInstanceOf(OktaRequestError);
    expect((err as Error).message).toBe(
      'Okta GET /api/v1/users failed: the response body (more than 8388608 bytes received) exceeds the limit of 8388608 bytes (raise IDGRAPH_MAX_RESPONSE_BYTES if this org\'s pages are really that large)',
    );
    expect(requests).toBe(1);
    expect(events).toMatchObject([{ status: 200 }]);
    // The client stopped reading: the server could not push the 200 MiB.
    await expect.poll(() => aborted).toBe(true);
    expect(bytesSent).toBeLessThan(100 * MiB);
    expect(grown).toBeLessThan(120 * MiB);
  });

  it('refuses a declared Content-Length over the cap before reading the body', async () => {
    let wrote = 0;
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * MiB) });
      const timer = setInterval(() => {
        wrote++;
        res.write(Buffer.alloc(1024, 0x20));
      }, 100);
      res.on('close', () => clearInterval(timer));
    });
    const client = createOktaClient({ orgUrl: url, auth: { kind: 'ssws', token: 't' }, allowInsecureHttp: true, maxResponseBytes: MiB, maxRetries: 0 });
    await expect(client.getJson('/api/v1/users')).rejects.toThrow(/\(Content-Length 52428800\) exceeds the limit of 1048576 bytes/);
    expect(wrote).toBeLessThan(5);
  });

  it('takes its default from IDGRAPH_MAX_RESPONSE_BYTES and refuses a value that is not a byte count', () => {
    expect(maxResponseBytesFromEnv({})).toBe(64 * MiB);
    expect(maxResponseBytesFromEnv({ IDGRAPH_MAX_RESPONSE_BYTES: '2048' })).toBe(2048);
    expect(() => maxResponseBytesFromEnv({ IDGRAPH_MAX_RESPONSE_BYTES: '64MB' })).toThrow(
      'IDGRAPH_MAX_RESPONSE_BYTES is invalid ("64MB"): expected an integer between 1024 and 268435456',
    );
  });
});
