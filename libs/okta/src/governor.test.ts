import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { testRedisPrefix, TEST_REDIS_URL } from '@idgraph/test-support';
import { createMemoryRateGovernor, createRedisRateGovernor, type RateGovernor } from './index.js';
import { decide, record, type BucketState } from './governor/memory.js';
import { observeResponse } from './governor/observe.js';

function headers(limit: number, remaining: number, resetInS: number, status = 200) {
  const now = Date.now();
  return {
    status,
    headers: new Headers({
      'x-rate-limit-limit': String(limit),
      'x-rate-limit-remaining': String(remaining),
      'x-rate-limit-reset': String(Math.floor(now / 1000) + resetInS),
      date: new Date(now).toUTCString(),
    }),
  };
}

describe('bucket decision', () => {
  it('probes before the first response, then spends at most floor(limit·share) per window', () => {
    const s: BucketState = { limit: null, remaining: 0, resetAt: 0, used: 0, probes: 0 };
    expect(decide(s, 0, 0.5, 2)).toMatchObject({ granted: true, probe: true });
    expect(decide(s, 0, 0.5, 2)).toMatchObject({ granted: true, probe: true });
    expect(decide(s, 0, 0.5, 2)).toMatchObject({ granted: false, reason: 'probe' });
    record(s, { limit: 10, remaining: 8, resetInMs: 30_000, throttled: false }, 0);
    const granted = Array.from({ length: 10 }, () => decide(s, 1000, 0.5, 2)).filter((d) => d.granted).length;
    expect(granted).toBe(3); // 2 probes + 3 = 5 = floor(10 · 0.5)
    expect(decide(s, 1000, 0.5, 2)).toEqual({ granted: false, waitMs: 29_000, reason: 'budget' });
    // After the reset a new window opens.
    expect(decide(s, 30_001, 0.5, 2)).toMatchObject({ granted: true });
  });

  it('stops when Okta reports nothing remaining (others spend the bucket too) and honours a 429 reset', () => {
    const s: BucketState = { limit: null, remaining: 0, resetAt: 0, used: 0, probes: 0 };
    record(s, { limit: 100, remaining: 0, resetInMs: 10_000, throttled: false }, 0);
    expect(decide(s, 0, 0.5, 2)).toMatchObject({ granted: false, reason: 'budget', waitMs: 10_000 });
    record(s, { limit: 100, remaining: 0, resetInMs: 2_000, throttled: true }, 1000);
    expect(decide(s, 1000, 0.5, 2)).toMatchObject({ granted: false, waitMs: 2_000 });
  });

  it('reads reset relative to the Date header and flags concurrency 429s', () => {
    const h = headers(600, 10, 30);
    const obs = observeResponse(h);
    expect(obs).toMatchObject({ limit: 600, remaining: 10, throttled: false });
    expect((obs as { resetInMs: number }).resetInMs).toBeGreaterThan(28_000);
    const conc = headers(0, 0, 1, 429);
    expect(observeResponse(conc)).toEqual({ concurrency: true });
    expect(observeResponse({ status: 200, headers: new Headers({ 'x-rate-limit-reset': '1, 2' }) })).toBeNull();
  });
});

async function exhaust(gov: RateGovernor, org: string, bucket: string, tries: number, budgetMs: number): Promise<number> {
  let granted = 0;
  const deadline = AbortSignal.timeout(budgetMs);
  for (let i = 0; i < tries; i++) {
    try {
      const lease = await gov.acquire(org, bucket, deadline);
      granted += 1;
      await lease.release(headers(20, 20 - granted, 30));
    } catch {
      break; // deadline hit while waiting for the window: budget spent
    }
  }
  return granted;
}

describe('memory governor', () => {
  it('caps concurrent leases per org', async () => {
    const gov = createMemoryRateGovernor({ maxConcurrent: 2 });
    const a = await gov.acquire('org', 'b1');
    await gov.acquire('org', 'b2');
    let third = false;
    const p = gov.acquire('org', 'b3').then((l) => {
      third = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(third).toBe(false);
    await a.release(new Error('network'));
    await (await p).release();
    expect(third).toBe(true);
  });

  it('rejects a share outside (0, 1]', () => {
    expect(() => createMemoryRateGovernor({ share: 0 })).toThrow(/share must be in/);
  });
});

describe('redis governor', () => {
  const connections: Redis[] = [];
  const conn = () => {
    const r = new Redis(TEST_REDIS_URL, { lazyConnect: false });
    connections.push(r);
    return r;
  };
  afterAll(async () => {
    const r = connections[0];
    if (r) {
      const keys = await r.keys('idgtest:okta-governor:*');
      if (keys.length) await r.del(...keys);
    }
    await Promise.all(connections.map((c) => c.quit()));
  });

  it('two governors on separate connections share one budget per org and bucket', async () => {
    const keyPrefix = testRedisPrefix('okta-governor');
    const g1 = createRedisRateGovernor(conn(), { share: 0.5, keyPrefix });
    const g2 = createRedisRateGovernor(conn(), { share: 0.5, keyPrefix });
    const [n1, n2] = await Promise.all([exhaust(g1, 'https://o', '/api/v1/users', 30, 1500), exhaust(g2, 'https://o', '/api/v1/users', 30, 1500)]);
    expect(n1 + n2).toBe(10); // floor(20 · 0.5) in the one window
    expect(n1).toBeGreaterThan(0);
    expect(n2).toBeGreaterThan(0);
    // Another bucket and another org are independent.
    expect(await exhaust(g1, 'https://o', '/api/v1/groups', 3, 1000)).toBe(3);
    expect(await exhaust(g2, 'https://other', '/api/v1/users', 3, 1000)).toBe(3);
  });

  it('caps concurrency across processes and reclaims leases of a crashed holder', async () => {
    const keyPrefix = testRedisPrefix('okta-governor');
    const crashed = createRedisRateGovernor(conn(), { maxConcurrent: 1, leaseTtlMs: 300, keyPrefix });
    const alive = createRedisRateGovernor(conn(), { maxConcurrent: 1, leaseTtlMs: 300, keyPrefix });
    await crashed.acquire('https://o', '/api/v1', undefined); // never released
    const t0 = Date.now();
    const lease = await alive.acquire('https://o', '/api/v1', AbortSignal.timeout(3000));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    await lease.release(headers(100, 99, 30));
  });
});
