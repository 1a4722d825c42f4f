import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { WINDOW_MS } from './observe.js';
import { acquireLoop, resolveOptions, WAIT_CONCURRENCY_MS, WAIT_PROBE_MS, windowObservation, type Decision, type WaitReason } from './memory.js';
import type { RateGovernor, RateGovernorOptions, RateLease, RateLeaseOutcome } from './types.js';

/**
 * The scripts ship as files beside this module (the build copies src/governor/lua to
 * dist/governor/lua), one per effect, as BullMQ keeps its commands; each names its keys and
 * arguments at its top.
 */
function script(name: 'acquire-lease' | 'release-lease' | 'record-response'): string {
  const url = new URL(`./lua/${name}.lua`, import.meta.url);
  try {
    return readFileSync(url, 'utf8');
  } catch (err) {
    throw new Error(`rate governor script ${name}.lua is missing at ${url.pathname}: the package build must copy src/governor/lua next to this module`, { cause: err });
  }
}

let scripts: Record<'acquire' | 'release' | 'record', string> | null = null;
const loadScripts = () => (scripts ??= { acquire: script('acquire-lease'), release: script('release-lease'), record: script('record-response') });

type Args = (string | number)[];
interface GovernorCommands {
  idgraphAcquireLease(bucketKey: string, probesKey: string, inFlightKey: string, ...args: Args): Promise<[number, number, string]>;
  idgraphReleaseLease(inFlightKey: string, probesKey: string, leaseId: string): Promise<number>;
  idgraphRecordResponse(bucketKey: string, ...args: Args): Promise<number>;
}
type GovernorRedis = Redis & GovernorCommands;
type GovernorPipeline = ReturnType<Redis['multi']> & { [K in keyof GovernorCommands]: (...args: Parameters<GovernorCommands[K]>) => GovernorPipeline };

/**
 * Governor whose state lives in Redis, so every worker of every process shares one budget per org
 * and bucket. Needs a connection that executes commands (not one in subscriber mode).
 */
export function createRedisRateGovernor(redis: Redis, opts?: RateGovernorOptions & { keyPrefix?: string }): RateGovernor {
  const o = resolveOptions(opts);
  const prefix = opts?.keyPrefix ?? 'idgraph:rl:';
  // State outlives a window a little so that a quiet bucket forgets stale leases.
  const keyTtlMs = Math.max(5 * WINDOW_MS, o.leaseTtlMs * 2);
  const r = redis as GovernorRedis;
  if (typeof r.idgraphAcquireLease !== 'function') {
    const lua = loadScripts();
    redis.defineCommand('idgraphAcquireLease', { numberOfKeys: 3, lua: lua.acquire });
    redis.defineCommand('idgraphReleaseLease', { numberOfKeys: 2, lua: lua.release });
    redis.defineCommand('idgraphRecordResponse', { numberOfKeys: 1, lua: lua.record });
  }
  // Hash tag on the org keeps every key of one org in the same cluster slot (MULTI below needs it).
  const keys = (org: string, bucket: string) =>
    [`${prefix}{${org}}:bucket:${bucket}`, `${prefix}{${org}}:probes:${bucket}`, `${prefix}{${org}}:inflight`] as const;

  return {
    async acquire(org, bucket, signal) {
      const [bucketKey, probesKey, inFlightKey] = keys(org, bucket);
      const leaseId = randomUUID();
      await acquireLoop(async (): Promise<Decision> => {
        const [granted, value, reason] = await r.idgraphAcquireLease(
          bucketKey,
          probesKey,
          inFlightKey,
          o.share,
          o.maxConcurrent,
          o.probeCount,
          o.leaseTtlMs,
          leaseId,
          WINDOW_MS,
          keyTtlMs,
          WAIT_CONCURRENCY_MS,
          WAIT_PROBE_MS,
        );
        if (granted === 1) return { granted: true, probe: value === 1 };
        return { granted: false, waitMs: value, reason: reason as WaitReason };
      }, signal);
      let released = false;
      const lease: RateLease = {
        async release(outcome?: RateLeaseOutcome | Headers | Error) {
          if (released) return;
          released = true;
          const obs = windowObservation(outcome);
          if (!obs) {
            await r.idgraphReleaseLease(inFlightKey, probesKey, leaseId);
            return;
          }
          // One transaction: no acquire may see the probe freed before the limit it learnt is stored.
          const tx = r.multi() as GovernorPipeline;
          const results = await tx
            .idgraphReleaseLease(inFlightKey, probesKey, leaseId)
            .idgraphRecordResponse(bucketKey, obs.limit, obs.remaining, obs.resetInMs, obs.throttled ? '1' : '0', keyTtlMs)
            .exec();
          const failed = results?.find(([err]) => err);
          if (failed) throw failed[0];
        },
      };
      return lease;
    },
  };
}
