import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { isOutcome, observeResponse, WINDOW_MS } from './observe.js';
import { acquireLoop, resolveOptions, WAIT_CONCURRENCY_MS, WAIT_PROBE_MS, type Decision } from './memory.js';
import type { RateGovernor, RateGovernorOptions, RateLease, RateLeaseOutcome } from './types.js';

/*
 * Both scripts take "now" from Redis TIME, so every process judges windows and lease expiry on one
 * clock; resets arrive as "ms from now" (Okta reset − Okta Date) for the same reason.
 *
 * Bucket hash fields: limit (absent until the first response), remaining, resetAt, used, probes.
 * Concurrency: a sorted set of lease ids scored by expiry.
 */
const ACQUIRE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local share = tonumber(ARGV[1])
local maxConcurrent = tonumber(ARGV[2])
local probeCount = tonumber(ARGV[3])
local leaseTtl = tonumber(ARGV[4])
local leaseId = ARGV[5]
local windowMs = tonumber(ARGV[6])
local keyTtl = tonumber(ARGV[7])

redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= maxConcurrent then
  return {0, ${WAIT_CONCURRENCY_MS}, 'concurrency'}
end

local s = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'resetAt', 'used', 'probes')
local limit = tonumber(s[1])
local remaining = tonumber(s[2]) or 0
local resetAt = tonumber(s[3]) or 0
local used = tonumber(s[4]) or 0
local probes = tonumber(s[5]) or 0
local probe = 0

if not limit then
  if probes >= probeCount then
    return {0, ${WAIT_PROBE_MS}, 'probe'}
  end
  probes = probes + 1
  used = used + 1
  probe = 1
else
  if now >= resetAt then
    local windows = math.floor((now - resetAt) / windowMs) + 1
    resetAt = resetAt + windows * windowMs
    used = 0
    remaining = limit
  end
  local cap = math.max(1, math.floor(limit * share))
  if used >= cap or remaining <= 0 then
    redis.call('HSET', KEYS[1], 'remaining', remaining, 'resetAt', resetAt, 'used', used)
    return {0, math.max(1, resetAt - now), 'budget'}
  end
  used = used + 1
  remaining = remaining - 1
end

redis.call('HSET', KEYS[1], 'remaining', remaining, 'resetAt', resetAt, 'used', used, 'probes', probes)
redis.call('PEXPIRE', KEYS[1], keyTtl)
redis.call('ZADD', KEYS[2], now + leaseTtl, leaseId)
redis.call('PEXPIRE', KEYS[2], keyTtl)
return {1, probe, 'granted'}
`;

const RELEASE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] == '1' then
  local p = tonumber(redis.call('HGET', KEYS[1], 'probes')) or 0
  if p > 0 then redis.call('HSET', KEYS[1], 'probes', p - 1) end
end
if ARGV[3] == '1' then
  local obsLimit = tonumber(ARGV[4])
  local obsRemaining = tonumber(ARGV[5])
  local obsResetAt = now + tonumber(ARGV[6])
  local throttled = ARGV[7] == '1'
  local s = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'resetAt')
  local limit = tonumber(s[1])
  local remaining = tonumber(s[2]) or 0
  local resetAt = tonumber(s[3]) or 0
  if (not limit) or obsResetAt > resetAt + 1500 then
    resetAt = obsResetAt
    remaining = obsRemaining
  else
    remaining = math.min(remaining, obsRemaining)
  end
  if throttled then
    remaining = 0
    resetAt = obsResetAt
  end
  redis.call('HSET', KEYS[1], 'limit', obsLimit, 'remaining', remaining, 'resetAt', resetAt)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[8]))
end
return 1
`;

type GovernorRedis = Redis & {
  idgraphGovernorAcquire(bucketKey: string, concKey: string, ...args: (string | number)[]): Promise<[number, number, string]>;
  idgraphGovernorRelease(bucketKey: string, concKey: string, ...args: (string | number)[]): Promise<number>;
};

/**
 * Governor whose state lives in Redis, so every worker of every process shares one budget per org
 * and bucket. Needs a connection that executes commands (not one in subscriber mode).
 */
export function createRedisRateGovernor(redis: Redis, opts?: RateGovernorOptions & { keyPrefix?: string }): RateGovernor {
  const o = resolveOptions(opts);
  const prefix = opts?.keyPrefix ?? 'idgraph:rl:';
  // State outlives a window a little so that a quiet bucket forgets stale probes and leases.
  const keyTtlMs = Math.max(5 * WINDOW_MS, o.leaseTtlMs * 2);
  const r = redis as GovernorRedis;
  if (typeof r.idgraphGovernorAcquire !== 'function') {
    redis.defineCommand('idgraphGovernorAcquire', { numberOfKeys: 2, lua: ACQUIRE_LUA });
    redis.defineCommand('idgraphGovernorRelease', { numberOfKeys: 2, lua: RELEASE_LUA });
  }
  // Hash tag on the org keeps both keys of one org in the same cluster slot.
  const keys = (org: string, bucket: string) => [`${prefix}{${org}}:bucket:${bucket}`, `${prefix}{${org}}:inflight`] as const;

  return {
    async acquire(org, bucket, signal) {
      const [bucketKey, concKey] = keys(org, bucket);
      const leaseId = randomUUID();
      const { probe } = await acquireLoop(async (): Promise<Decision> => {
        const [granted, value, reason] = await r.idgraphGovernorAcquire(
          bucketKey,
          concKey,
          o.share,
          o.maxConcurrent,
          o.probeCount,
          o.leaseTtlMs,
          leaseId,
          WINDOW_MS,
          keyTtlMs,
        );
        if (granted === 1) return { granted: true, probe: value === 1 };
        return { granted: false, waitMs: value, reason: reason as 'concurrency' | 'probe' | 'budget' };
      }, signal);
      let released = false;
      const lease: RateLease = {
        async release(outcome?: RateLeaseOutcome | Headers | Error) {
          if (released) return;
          released = true;
          const normalized = outcome instanceof Headers ? { status: 200, headers: outcome } : outcome;
          const obs = isOutcome(normalized) ? observeResponse(normalized) : null;
          const window = obs && !('concurrency' in obs) ? obs : null;
          await r.idgraphGovernorRelease(
            bucketKey,
            concKey,
            leaseId,
            probe ? '1' : '0',
            window ? '1' : '0',
            window?.limit ?? 0,
            window?.remaining ?? 0,
            window?.resetInMs ?? 0,
            window?.throttled ? '1' : '0',
            keyTtlMs,
          );
        },
      };
      return lease;
    },
  };
}
