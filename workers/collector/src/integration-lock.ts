/**
 * One collection at a time per integration, across every worker process. Two concurrent runs of
 * one integration would each tombstone what the other marked as seen, so a run holds a Redis lock
 * (SET NX PX, renewed while it runs); a crashed holder's lock expires after `ttlMs`.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface HeldLock {
  release(): Promise<void>;
}

export class IntegrationLocks {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'idgraph:collect-lock:',
    private readonly ttlMs = 30_000,
  ) {}

  async tryAcquire(integrationId: string): Promise<HeldLock | null> {
    const key = `${this.prefix}${integrationId}`;
    const token = randomUUID();
    const ok = await this.redis.set(key, token, 'PX', this.ttlMs, 'NX');
    if (ok !== 'OK') return null;
    const timer = setInterval(() => {
      void this.redis.eval(RENEW, 1, key, token, String(this.ttlMs)).catch(() => undefined);
    }, Math.floor(this.ttlMs / 3));
    timer.unref();
    return {
      release: async () => {
        clearInterval(timer);
        await this.redis.eval(RELEASE, 1, key, token);
      },
    };
  }
}
