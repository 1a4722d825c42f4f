/**
 * Admin posture on the reference org: how long a first full collection of 100,000 users (5,000
 * groups, 1,000 apps, 1M memberships) at Okta's default limits, spending half of each bucket,
 * takes until its admin checks are final — beside the floor of the whole run, computed from the
 * requests it must make (one factor request per user that can have factors, dominating). The run
 * is stopped once admin posture is final; the rest is only waiting on the users bucket.
 *
 *   pnpm bench admin-posture [--quick]      (--quick: 10,000 users, 500 groups, 100 apps)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { QUEUES } from '@idgraph/core';
import { canHaveFactors, collectNow, redisConnection } from '@idgraph/collector';
import { DEFAULT_BUCKETS, roleHolderUserIds, startOktaSim } from '@idgraph/okta-sim';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix, waitFor } from '@idgraph/test-support';
import { Queue } from 'bullmq';
import { addSimIntegration, E2E_TENANT, e2eLogger, openCollectorDb } from '../e2e/fixtures/collect-env.js';

export interface AdminPostureBenchOptions {
  users: number;
  groups: number;
  apps: number;
  membershipsPerUser: number;
  /** Share of each bucket the worker spends (the reference: 0.5). */
  share: number;
}

export const ADMIN_POSTURE_SIZES = {
  quick: { users: 10_000, groups: 500, apps: 100, membershipsPerUser: 10, share: 0.5 },
  reference: { users: 100_000, groups: 5_000, apps: 1_000, membershipsPerUser: 10, share: 0.5 },
} as const satisfies Record<string, AdminPostureBenchOptions>;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export async function benchAdminPosture(opts: AdminPostureBenchOptions): Promise<Record<string, unknown>> {
  const logger = e2eLogger('bench-admin-posture');
  const sim = await startOktaSim({ seed: 1, users: opts.users, groups: opts.groups, apps: opts.apps, membershipsPerUser: opts.membershipsPerUser, rateLimitFactor: 1, tokenShare: 1 });
  const tdb = await createTestDatabase('bench_admin_posture');
  const secretKey = randomBytes(32).toString('base64url');
  const db = await openCollectorDb({ databaseUrl: tdb.url, secretKey, logger });
  const prefix = testRedisPrefix('bench_admin_posture').replace(/:$/, '');
  const connection = redisConnection(TEST_REDIS_URL);
  const queue = new Queue(QUEUES.collect, { connection, prefix });
  let child: ChildProcess | undefined;
  try {
    const integration = await addSimIntegration(db.graph, sim);
    child = spawn(process.execPath, ['--import', 'tsx', 'test/e2e/fixtures/collect-worker.ts'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: tdb.url,
        REDIS_URL: TEST_REDIS_URL,
        E2E_QUEUE_PREFIX: prefix,
        E2E_SECRET_KEY: secretKey,
        E2E_GOVERNOR_SHARE: String(opts.share),
        E2E_MAX_CONCURRENT: '10',
        E2E_REQUEST_CONCURRENCY: '8',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      });
      child!.once('exit', (code) => reject(new Error(`collector worker exited before ready (code ${code})`)));
    });
    const { runId } = await collectNow(queue, integration.id, undefined, { tenant: E2E_TENANT, runs: db.graph });
    const run = await waitFor(
      'admin posture final',
      async () => {
        const r = await db.graph.getRun(runId!);
        if (r && r.status !== 'running') throw new Error(`the run ended ${r.status} before admin posture was final: ${r.error ?? ''}`);
        return r?.adminPostureFinalAt ? r : undefined;
      },
      3 * 60 * 60_000,
      1000,
    );
    const adminPostureFinalMs = run.adminPostureFinalAt!.getTime() - run.startedAt.getTime();
    // The whole run's floor: its users-bucket requests (two listings, one factor request per user
    // that can have factors, the role lists of role holders) at the spendable rate.
    const users = [...sim.org.users.values()];
    const usersBucket = DEFAULT_BUCKETS.find((b) => b.id === 'users')!;
    const usersBucketRequests = users.filter((u) => canHaveFactors(u.status)).length + 2 * Math.ceil(users.length / 200) + roleHolderUserIds(sim.org).length;
    const wholeRunFloorMs = Math.round((usersBucketRequests / Math.floor(usersBucket.limit * opts.share)) * 60_000);
    return {
      org: { users: opts.users, groups: opts.groups, apps: opts.apps, membershipsPerUser: opts.membershipsPerUser },
      limits: "Okta's default per-bucket limits (users 600/min, groups 500/min, apps 100/min)",
      share: opts.share,
      adminPostureFinalMs,
      adminPostureFinalMinutes: Math.round(adminPostureFinalMs / 6000) / 10,
      wholeRunFloorMinutes: Math.round(wholeRunFloorMs / 6000) / 10,
      usersBucketRequestsOfWholeRun: usersBucketRequests,
      resourcesAtFinal: Object.fromEntries(run.resources.map((r) => [r.resource, { state: r.state, requests: r.requests, objects: r.objects }])),
    };
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 30_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    connection.disconnect();
    await db.close();
    await sim.close();
    await tdb.drop();
  }
}
