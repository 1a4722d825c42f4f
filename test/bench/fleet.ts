/**
 * Fleet benchmark: many simulated orgs on one Redis and one PostgreSQL, collected at once by
 * several `idgraph workers` processes (the built CLI), each org against its own floor.
 *
 *   pnpm bench fleet                       20 orgs × 5,000 users, 4 processes, Okta's default limits
 *   pnpm exec tsx test/bench/fleet.ts --orgs 6 --users 600 --processes 1 --concurrency 2 --factor 2
 *
 * Every org is a simulator at Okta's default per-bucket limits × `factor`; the workers spend half
 * of each bucket (`--rate-share 0.5`, the default). An org's floor is measured in the same run,
 * from its own requests: for each bucket, the requests the org's simulator served in it ÷ the
 * per-minute rate the workers may spend there; the floor is the largest. `achieved` = floor ÷ the
 * org's run time (from Collect Now opening the run, so time spent waiting for a job slot counts
 * against it). Target: every org ≥ 0.85. Each worker process is sampled every second for its
 * resident memory and its open connections to PostgreSQL and Redis (sockets by remote port).
 */
import { cpus } from 'node:os';
import { DEFAULT_BUCKETS, type SimStats } from '@idgraph/okta-sim';
import { collectEveryOrg, connectionCounts, rssMb, startFleet, startWorkersProcess, type Fleet, type WorkersProcess } from '../e2e/fixtures/fleet.js';
import { e2eLogger } from '../e2e/fixtures/collect-env.js';
import { waitFor } from '@idgraph/test-support';
import { parseBenchFlags, runBenchScript } from './script.js';

export interface FleetBenchOptions {
  orgs: number;
  users: number;
  processes: number;
  /** `idgraph workers --concurrency` (default: the workers' own default). */
  concurrency?: number;
  /** Multiplies every bucket's Okta default per-minute limit (1 = Okta's defaults). */
  factor: number;
  /** `--rate-share` of the workers (default 0.5, theirs). */
  rateShare?: number;
}

export const FLEET_SIZES = {
  quick: { orgs: 4, users: 600, processes: 2, factor: 2 },
  full: { orgs: 20, users: 5_000, processes: 4, factor: 1 },
} as const satisfies Record<string, FleetBenchOptions>;

interface ProcessSample {
  peakRssMb: number;
  maxPostgres: number;
  maxRedis: number;
  samples: number;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** The org's floor from its own requests: per bucket, requests ÷ the spendable per-minute rate. */
function floorOf(stats: SimStats, factor: number, share: number): { floorMs: number; bucket: string; requests: number } {
  let worst = { floorMs: 0, bucket: '', requests: 0 };
  for (const [bucket, requests] of Object.entries(stats.byBucket)) {
    const def = DEFAULT_BUCKETS.find((b) => b.id === bucket);
    if (!def || requests === 0) continue;
    const limit = Math.max(1, Math.floor(def.limit * factor));
    const spendable = Math.max(1, Math.floor(limit * share));
    const floorMs = Math.round((requests / spendable) * 60_000);
    if (floorMs > worst.floorMs) worst = { floorMs, bucket, requests };
  }
  return worst;
}

export async function benchFleet(opts: FleetBenchOptions): Promise<Record<string, unknown>> {
  const logger = e2eLogger('bench-fleet');
  const share = opts.rateShare ?? 0.5;
  const setupStarted = Date.now();
  const fleet: Fleet = await startFleet(
    'bench_fleet',
    Array.from({ length: opts.orgs }, (_, i) => ({
      name: `org${String(i).padStart(2, '0')}`,
      // Two tenants: the workers serve both.
      tenant: i % 2 === 0 ? 'ta' : 'tb',
      // Our token may use the whole bucket; the workers' share is what limits us (as in production).
      sim: { seed: 1000 + i, users: opts.users, rateLimitFactor: opts.factor, tokenShare: 1 },
    })),
    logger,
  );
  const setupMs = Date.now() - setupStarted;
  const processes: WorkersProcess[] = [];
  const samples = new Map<number, ProcessSample>();
  let sampler: NodeJS.Timeout | undefined;
  try {
    const args = ['--rate-share', String(share), ...(opts.concurrency ? ['--concurrency', String(opts.concurrency)] : [])];
    for (let p = 0; p < opts.processes; p++) processes.push(await startWorkersProcess(fleet, `w${p}`, args));
    const idle = await Promise.all(processes.map(async (p) => ({ pid: p.pid, ...(await rssMb(p.pid)), connections: await connectionCounts(p.pid) })));
    for (const p of processes) samples.set(p.pid, { peakRssMb: 0, maxPostgres: 0, maxRedis: 0, samples: 0 });
    const sample = async () => {
      for (const p of processes) {
        const s = samples.get(p.pid)!;
        const [mem, conn] = await Promise.all([rssMb(p.pid).catch(() => null), connectionCounts(p.pid)]);
        if (mem) s.peakRssMb = Math.max(s.peakRssMb, mem.peak);
        s.maxPostgres = Math.max(s.maxPostgres, conn.postgres);
        s.maxRedis = Math.max(s.maxRedis, conn.redis);
        s.samples += 1;
      }
    };
    sampler = setInterval(() => void sample(), 1000);

    const before = new Map(fleet.orgs.map((o) => [o.name, o.sim.stats()]));
    const started = Date.now();
    const runs = await collectEveryOrg(fleet);
    const ended = await waitFor(
      'every org collected',
      async () => {
        const done = [];
        for (const org of fleet.orgs) {
          const run = await fleet.store(org.tenant).getRun(runs.get(org.name)!.runId);
          if (!run || run.status === 'running') return undefined;
          done.push(run);
        }
        return done;
      },
      4 * 60 * 60_000,
      2000,
    );
    const wallMs = Date.now() - started;
    clearInterval(sampler);
    await sample();

    const perOrg = fleet.orgs.map((org, i) => {
      const run = ended[i]!;
      const after = org.sim.stats();
      const b = before.get(org.name)!;
      const stats: SimStats = {
        requests: after.requests - b.requests,
        throttled429: after.throttled429 - b.throttled429,
        concurrency429: after.concurrency429 - b.concurrency429,
        byBucket: Object.fromEntries(Object.entries(after.byBucket).map(([k, v]) => [k, v - (b.byBucket[k] ?? 0)])),
      };
      const floor = floorOf(stats, opts.factor, share);
      const runMs = run.endedAt!.getTime() - run.startedAt.getTime();
      return {
        org: org.name,
        tenant: org.tenant,
        status: run.status,
        runMs,
        floorMs: floor.floorMs,
        floorBucket: floor.bucket,
        achieved: round3(floor.floorMs / runMs),
        adminPostureFinalMs: run.adminPostureFinalAt ? run.adminPostureFinalAt.getTime() - run.startedAt.getTime() : null,
        requests: stats.requests,
        throttled429: stats.throttled429,
        concurrency429: stats.concurrency429,
      };
    });
    const achieved = perOrg.map((o) => o.achieved).sort((a, b) => a - b);
    return {
      orgs: opts.orgs,
      usersPerOrg: opts.users,
      processes: opts.processes,
      concurrency: opts.concurrency ?? 'default',
      limitsFactor: opts.factor,
      rateShare: share,
      cores: cpus().length,
      setupMs,
      wallMs,
      achieved: {
        min: achieved[0],
        median: achieved[Math.floor(achieved.length / 2)],
        max: achieved.at(-1),
        orgsAtOrAbove85: achieved.filter((a) => a >= 0.85).length,
      },
      allSucceeded: perOrg.every((o) => o.status === 'succeeded'),
      perProcess: processes.map((p, i) => {
        const s = samples.get(p.pid)!;
        return {
          process: p.name,
          idleRssMb: idle[i]!.rss,
          peakRssMb: s.peakRssMb,
          maxConnections: { postgres: s.maxPostgres, redis: s.maxRedis },
          idleConnections: idle[i]!.connections,
        };
      }),
      perOrg,
    };
  } finally {
    if (sampler) clearInterval(sampler);
    for (const p of processes) await p.stop(30_000);
    await fleet.close();
  }
}

function parseArgs(argv: readonly string[]): FleetBenchOptions {
  const { num } = parseBenchFlags(argv, '--orgs N --users N --processes N [--concurrency N] [--factor X] [--rate-share X]');
  const base = FLEET_SIZES.full;
  const concurrency = num('concurrency', undefined);
  const rateShare = num('rate-share', undefined);
  return {
    orgs: num('orgs', base.orgs)!,
    users: num('users', base.users)!,
    processes: num('processes', base.processes)!,
    factor: num('factor', base.factor)!,
    ...(concurrency ? { concurrency } : {}),
    ...(rateShare ? { rateShare } : {}),
  };
}

runBenchScript(import.meta.url, 'fleet', async (argv) => benchFleet(parseArgs(argv)));
