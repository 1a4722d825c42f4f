import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TEST_REDIS_URL } from '@idgraph/test-support';
import { assertRedisReachable, displayRedisUrl } from './jobs.js';

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A port that accepts connections and never answers: what a firewall or a hung Redis looks like. */
async function silentPort(): Promise<number> {
  server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('assertRedisReachable', () => {
  it('passes against a Redis that answers', async () => {
    await expect(assertRedisReachable(TEST_REDIS_URL, 2000)).resolves.toBeUndefined();
  });

  it('names the URL without its password when nothing listens, quickly and without ioredis printing a trace', async () => {
    const consoleError = vi.spyOn(console, 'error');
    const port = await closedPort();
    const started = Date.now();
    const err = await assertRedisReachable(`redis://:s3cretpw@127.0.0.1:${port}/0`, 2000).then(() => null, (e: Error) => e);
    expect(err?.message).toBe(
      `cannot reach Redis at redis://:***@127.0.0.1:${port}/0 (REDIS_URL): connection refused (nothing listens there); start Redis there, or set REDIS_URL to one that is reachable`,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('gives up at its timeout on a server that never answers', async () => {
    const port = await silentPort();
    const started = Date.now();
    await expect(assertRedisReachable(`redis://user:s3cretpw@127.0.0.1:${port}`, 800)).rejects.toThrow(
      `cannot reach Redis at redis://user:***@127.0.0.1:${port} (REDIS_URL): `,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('shows URLs without passwords', () => {
    expect(displayRedisUrl('rediss://default:p%40ss@cache.example:6380/2')).toBe('rediss://default:***@cache.example:6380/2');
    expect(displayRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
