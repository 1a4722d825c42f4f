/**
 * One set of scenarios for both rate governors: the in-process one (memory.ts) and the Redis one
 * (redis.ts + lua/*.lua, on the machine's real Redis). They are two implementations of one rule;
 * a scenario that passes on one and fails on the other is a bug in one of them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { testRedisPrefix, TEST_REDIS_URL } from '@idgraph/test-support';
import { createMemoryRateGovernor } from './memory.js';
import { createRedisRateGovernor } from './redis.js';
import type { RateGovernor, RateGovernorOptions, RateLease, RateLeaseOutcome } from './types.js';

const connections: Redis[] = [];
const redisConnection = () => {
  const r = new Redis(TEST_REDIS_URL);
  connections.push(r);
  return r;
};
afterAll(async () => {
  const r = connections[0];
  if (r) {
    const keys = await r.keys('idgtest:governor-conformance:*');
    if (keys.length) await r.del(...keys);
  }
  await Promise.all(connections.map((c) => c.quit()));
});

type Factory = (opts?: RateGovernorOptions) => RateGovernor;
const implementations: [string, Factory][] = [
  ['memory', (opts) => createMemoryRateGovernor(opts)],
  ['redis', (opts) => createRedisRateGovernor(redisConnection(), { ...opts, keyPrefix: testRedisPrefix('governor-conformance') })],
];

/** A response carrying Okta's rate-limit headers; the reset is whole seconds after the response's Date. */
function response(limit: number, remaining: number, resetInS: number, status = 200): RateLeaseOutcome {
  const nowS = Math.floor(Date.now() / 1000);
  return {
    status,
    headers: new Headers({
      'x-rate-limit-limit': String(limit),
      'x-rate-limit-remaining': String(remaining),
      'x-rate-limit-reset': String(nowS + resetInS),
      date: new Date(nowS * 1000).toUTCString(),
    }),
  };
}

/** The lease if the governor grants one within `withinMs`, else null. */
async function grantedWithin(gov: RateGovernor, org: string, bucket: string, withinMs = 300): Promise<RateLease | null> {
  try {
    return await gov.acquire(org, bucket, AbortSignal.timeout(withinMs));
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return null;
    throw err;
  }
}

/** How many leases the governor grants before one has to wait `withinMs`; each is released with `outcome(n)`. */
async function grantsUntilBlocked(gov: RateGovernor, org: string, bucket: string, outcome: (n: number) => RateLeaseOutcome | Error, max = 50): Promise<number> {
  let n = 0;
  while (n < max) {
    const lease = await grantedWithin(gov, org, bucket, 250);
    if (!lease) return n;
    n += 1;
    await lease.release(outcome(n));
  }
  return n;
}

const ORG = 'https://acme.okta.test';
const USERS = '/api/v1/users';

describe.each(implementations)('%s rate governor', (_name, create) => {
  it('rejects options outside their range', () => {
    expect(() => create({ share: 0 })).toThrow(/share must be in \(0, 1\]/);
    expect(() => create({ share: 1.5 })).toThrow(/share must be in/);
    expect(() => create({ maxConcurrent: 0 })).toThrow(/maxConcurrent must be a positive integer/);
  });

  it('sends only probeCount probes before the first response, and a finished probe lets the next one go', async () => {
    const gov = create({ probeCount: 2 });
    const a = await gov.acquire(ORG, USERS);
    const b = await gov.acquire(ORG, USERS);
    expect(await grantedWithin(gov, ORG, USERS)).toBeNull();
    await a.release(new Error('network')); // no headers: the limit is still unknown
    const c = await grantedWithin(gov, ORG, USERS, 2_000);
    expect(c).not.toBeNull();
    expect(await grantedWithin(gov, ORG, USERS)).toBeNull();
    await b.release();
    await c!.release();
  });

  it('spends at most floor(limit·share) per window, probes included', async () => {
    const gov = create({ share: 0.5, probeCount: 2 });
    const p1 = await gov.acquire(ORG, USERS);
    const p2 = await gov.acquire(ORG, USERS);
    await p1.release(response(20, 19, 30));
    await p2.release(response(20, 18, 30));
    expect(await grantsUntilBlocked(gov, ORG, USERS, (n) => response(20, 18 - n, 30))).toBe(8); // 2 + 8 = floor(20 · 0.5)
  });

  it('never spends less than one request per window, whatever the share', async () => {
    const gov = create({ share: 0.1, probeCount: 1 });
    await (await gov.acquire(ORG, USERS)).release(response(5, 4, 30)); // floor(5 · 0.1) = 0 → 1, spent by the probe
    expect(await grantedWithin(gov, ORG, USERS)).toBeNull();
  });

  it('stops when Okta reports nothing remaining (other clients spend the bucket too)', async () => {
    const gov = create({ share: 1, probeCount: 1 });
    await (await gov.acquire(ORG, USERS)).release(response(100, 2, 30));
    expect(await grantsUntilBlocked(gov, ORG, USERS, () => new Error('timeout'))).toBe(2);
  });

  it('keeps the lowest remaining within one window and takes a later window as it comes', async () => {
    const gov = create({ share: 1, probeCount: 1 });
    await (await gov.acquire(ORG, USERS)).release(response(100, 5, 30));
    const a = await gov.acquire(ORG, USERS);
    const b = await gov.acquire(ORG, USERS);
    await a.release(response(100, 90, 30)); // same window, answered late: says less than we know
    expect(await grantsUntilBlocked(gov, ORG, USERS, () => new Error('timeout'))).toBe(3);
    await b.release(response(100, 2, 45)); // a later window: its remaining replaces ours
    expect(await grantsUntilBlocked(gov, ORG, USERS, () => new Error('timeout'))).toBe(2);
  });

  it('rolls the window at its reset: a spent bucket opens again with a full share', async () => {
    const gov = create({ share: 0.5, probeCount: 1 });
    const probe = await gov.acquire(ORG, USERS);
    const releasedAt = Date.now();
    await probe.release(response(4, 3, 2)); // cap 2, window ends 2 s after this response
    expect(await grantsUntilBlocked(gov, ORG, USERS, () => response(4, 2, 2))).toBe(1);
    const next = await gov.acquire(ORG, USERS, AbortSignal.timeout(10_000));
    expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(1_900);
    await next.release(new Error('timeout'));
    // The new window (60 s long) has the whole share again: this grant and one more.
    expect(await grantsUntilBlocked(gov, ORG, USERS, () => new Error('timeout'))).toBe(1);
  });

  it("waits for a 429's reset, also when it comes earlier than the window it knew", async () => {
    const gov = create({ share: 1, probeCount: 1 });
    await (await gov.acquire(ORG, USERS)).release(response(100, 50, 30));
    const lease = await gov.acquire(ORG, USERS);
    const throttledAt = Date.now();
    await lease.release(response(100, 0, 1, 429));
    expect(await grantedWithin(gov, ORG, USERS, 300)).toBeNull();
    const after = await gov.acquire(ORG, USERS, AbortSignal.timeout(10_000));
    const waited = Date.now() - throttledAt;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(5_000); // the 1 s reset (plus jitter), not the 30 s window
    await after.release();
  });

  it('a concurrency 429 (limit 0) says nothing about the window: the bucket keeps probing', async () => {
    const gov = create({ probeCount: 1 });
    await (await gov.acquire(ORG, USERS)).release(response(0, 0, 1, 429));
    const probe = await grantedWithin(gov, ORG, USERS, 2_000);
    expect(probe).not.toBeNull();
    expect(await grantedWithin(gov, ORG, USERS)).toBeNull(); // still one probe at a time
    await probe!.release();
  });

  it('holds at most maxConcurrent leases per org across its buckets; other orgs are independent', async () => {
    const gov = create({ maxConcurrent: 2 });
    const a = await gov.acquire(ORG, '/api/v1/users');
    const b = await gov.acquire(ORG, '/api/v1/groups');
    expect(await grantedWithin(gov, ORG, '/api/v1/apps')).toBeNull();
    const other = await grantedWithin(gov, 'https://other.okta.test', '/api/v1/apps');
    expect(other).not.toBeNull();
    await a.release(new Error('network'));
    const c = await grantedWithin(gov, ORG, '/api/v1/apps', 2_000);
    expect(c).not.toBeNull();
    await Promise.all([b.release(), c!.release(), other!.release()]);
  });

  it('keeps one budget per (org, bucket)', async () => {
    const gov = create({ share: 0.5, probeCount: 1 });
    await (await gov.acquire(ORG, USERS)).release(response(2, 1, 30));
    expect(await grantedWithin(gov, ORG, USERS)).toBeNull();
    expect(await grantsUntilBlocked(gov, ORG, '/api/v1/groups', () => response(4, 3, 30))).toBe(2);
    expect(await grantsUntilBlocked(gov, 'https://other.okta.test', USERS, () => response(2, 1, 30))).toBe(1);
  });

  it('frees the slot of a lease never released once leaseTtlMs passes (a crashed holder)', async () => {
    const gov = create({ maxConcurrent: 1, leaseTtlMs: 300 });
    await gov.acquire(ORG, '/api/v1/groups'); // never released
    const t0 = Date.now();
    const lease = await gov.acquire(ORG, USERS, AbortSignal.timeout(5_000));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    await lease.release();
  });

  it('frees the probe of a probe lease never released once leaseTtlMs passes', async () => {
    const gov = create({ probeCount: 1, leaseTtlMs: 300 });
    await gov.acquire(ORG, USERS); // never released: without expiry the bucket would never probe again
    const t0 = Date.now();
    const lease = await gov.acquire(ORG, USERS, AbortSignal.timeout(5_000));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    await lease.release();
  });

  it('a second release of one lease changes nothing', async () => {
    const gov = create({ share: 1, probeCount: 1, maxConcurrent: 1 });
    const lease = await gov.acquire(ORG, USERS);
    await lease.release(response(100, 50, 30));
    const holder = await gov.acquire(ORG, USERS);
    await lease.release(response(100, 0, 30, 429)); // ignored: neither frees holder's slot nor spends the bucket
    expect(await grantedWithin(gov, ORG, USERS)).toBeNull();
    await holder.release();
    expect(await grantedWithin(gov, ORG, USERS)).not.toBeNull();
  });

  it("an abort while waiting rejects with the signal's reason", async () => {
    const gov = create({ maxConcurrent: 1 });
    const held = await gov.acquire(ORG, USERS);
    const ac = new AbortController();
    const stop = new Error('run cancelled');
    const waiting = gov.acquire(ORG, USERS, ac.signal);
    setTimeout(() => ac.abort(stop), 50);
    await expect(waiting).rejects.toBe(stop);
    await held.release();
  });
});

describe('redis rate governor across processes', () => {
  it('two governors on separate connections share one budget per org and bucket', async () => {
    const keyPrefix = testRedisPrefix('governor-conformance');
    const g1 = createRedisRateGovernor(redisConnection(), { share: 0.5, keyPrefix });
    const g2 = createRedisRateGovernor(redisConnection(), { share: 0.5, keyPrefix });
    const spend = (gov: RateGovernor) => grantsUntilBlocked(gov, ORG, USERS, (n) => response(20, Math.max(0, 20 - n), 30), 30);
    const [n1, n2] = await Promise.all([spend(g1), spend(g2)]);
    expect(n1 + n2).toBe(10); // floor(20 · 0.5) in the one window
    expect(n1).toBeGreaterThan(0);
    expect(n2).toBeGreaterThan(0);
  });

  it("reclaims a crashed process's lease for another process", async () => {
    const keyPrefix = testRedisPrefix('governor-conformance');
    const crashed = createRedisRateGovernor(redisConnection(), { maxConcurrent: 1, leaseTtlMs: 300, keyPrefix });
    const alive = createRedisRateGovernor(redisConnection(), { maxConcurrent: 1, leaseTtlMs: 300, keyPrefix });
    await crashed.acquire(ORG, USERS); // never released
    const t0 = Date.now();
    const lease = await alive.acquire(ORG, USERS, AbortSignal.timeout(3000));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    await lease.release(response(100, 99, 30));
  });
});
