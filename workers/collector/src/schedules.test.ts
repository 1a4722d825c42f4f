/**
 * Schedules of many orgs spread over their interval (no thundering herd when the workers start or
 * at the top of the hour), each integration at its own deterministic slot, kept across re-syncs.
 */
import { randomUUID } from 'node:crypto';
import { TEST_REDIS_URL, testRedisPrefix } from '@idgraph/test-support';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE, redisConnection, scheduleOffsetMs, syncSchedules, type IntegrationRecord } from './jobs.js';

const MINUTE = 60_000;

describe('schedules spread over their interval', () => {
  const connection = redisConnection(TEST_REDIS_URL);
  const prefix = testRedisPrefix('collector_schedules').replace(/:$/, '');
  let queue: Queue;
  const integrations: IntegrationRecord[] = Array.from({ length: 60 }, () => ({ id: randomUUID() }));
  const store = { tenant: 't1', listIntegrations: async () => integrations };

  beforeAll(() => {
    queue = new Queue('idgraph-schedules-spread-test', { connection, prefix });
  });
  afterAll(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    connection.disconnect();
  });

  async function nextRuns(): Promise<Map<string, { next: number; every: number }>> {
    const schedulers = await queue.getJobSchedulers(0, -1);
    return new Map(schedulers.map((s) => [s.key, { next: s.next!, every: s.every! }]));
  }

  it('puts each integration at its own slot in each interval, spread evenly, none at once', async () => {
    const before = Date.now();
    await syncSchedules(queue, store);
    const runs = await nextRuns();
    expect(runs.size).toBe(integrations.length * 3);
    for (const [kind, minutes] of [
      ['full', DEFAULT_SCHEDULE.fullIntervalMinutes],
      ['incremental', DEFAULT_SCHEDULE.incrementalIntervalMinutes],
      ['factors', DEFAULT_SCHEDULE.factorsIntervalMinutes],
    ] as const) {
      const every = minutes * MINUTE;
      const slots = integrations.map((i) => {
        const r = runs.get(`collect:${i.id}:${kind}`)!;
        expect(r.every).toBe(every);
        // Within the coming interval, at the integration's own offset.
        expect(r.next).toBeGreaterThan(before);
        expect(r.next).toBeLessThanOrEqual(Date.now() + every);
        expect(r.next % every).toBe(scheduleOffsetMs(i.id, kind, every));
        return (r.next % every) / every;
      });
      // 60 slots in 6 sixths of the interval: about 10 each, never a herd. The ids (so the offsets)
      // are random: bounds a uniform spread leaves with probability ~1e-4 per run, a herd never meets.
      const sixths = [0, 0, 0, 0, 0, 0];
      for (const s of slots) sixths[Math.floor(s * 6)]! += 1;
      expect(Math.max(...sixths), `${kind}: ${sixths.join(' ')}`).toBeLessThanOrEqual(22);
      expect(Math.min(...sixths), `${kind}: ${sixths.join(' ')}`).toBeGreaterThanOrEqual(1);
      // Not all at once when the workers start: the first runs spread over the coming interval.
      const firstHalf = integrations.filter((i) => runs.get(`collect:${i.id}:${kind}`)!.next < before + every / 2).length;
      expect(firstHalf).toBeLessThan(integrations.length);
    }
  });

  it('keeps every slot across re-syncs (workers restarting), and moves a scheduler made without one', async () => {
    const first = await nextRuns();
    await syncSchedules(queue, store);
    await syncSchedules(queue, store);
    expect(await nextRuns()).toEqual(first);

    // A scheduler from before offsets: it ran `every` from the moment it was made.
    const legacy = integrations[0]!;
    const every = DEFAULT_SCHEDULE.incrementalIntervalMinutes * MINUTE;
    await queue.removeJobScheduler(`collect:${legacy.id}:incremental`);
    await queue.upsertJobScheduler(`collect:${legacy.id}:incremental`, { every }, { name: 'collect', data: { tenant: 't1', integrationId: legacy.id, mode: 'incremental', trigger: 'schedule' } });
    await syncSchedules(queue, store);
    const moved = (await nextRuns()).get(`collect:${legacy.id}:incremental`)!;
    expect(moved.next % every).toBe(scheduleOffsetMs(legacy.id, 'incremental', every));
  });

  it('an integration with its own interval gets a slot in that interval', async () => {
    const custom: IntegrationRecord = { id: randomUUID(), schedule: { fullIntervalMinutes: 60, incrementalIntervalMinutes: 5 } };
    integrations.push(custom);
    await syncSchedules(queue, store);
    const runs = await nextRuns();
    const full = runs.get(`collect:${custom.id}:full`)!;
    expect(full.every).toBe(60 * MINUTE);
    expect(full.next % (60 * MINUTE)).toBe(scheduleOffsetMs(custom.id, 'full', 60 * MINUTE));
    expect(runs.get(`collect:${custom.id}:incremental`)!.every).toBe(5 * MINUTE);
  });

  it('offsets are deterministic, in [1, every), and differ between integrations', () => {
    const id = randomUUID();
    expect(scheduleOffsetMs(id, 'full', 86_400_000)).toBe(scheduleOffsetMs(id, 'full', 86_400_000));
    const offsets = new Set(Array.from({ length: 100 }, () => scheduleOffsetMs(randomUUID(), 'full', 86_400_000)));
    expect(offsets.size).toBe(100);
    for (const o of offsets) expect(o >= 1 && o < 86_400_000).toBe(true);
    expect(() => scheduleOffsetMs(id, 'full', 0)).toThrow(/interval must be an integer/);
  });
});
