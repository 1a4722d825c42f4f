/**
 * Client benchmark: list every user of a simulated org with Okta's default/maximum
 * user-list limit (200), once with our client and once with @okta/okta-sdk-nodejs, against the
 * same simulator in the same run. Reports requests per minute as a share of the users bucket
 * limit, and the wall-time ratio.
 *
 *   pnpm exec tsx test/bench/client.ts [users] [rateLimitFactor]
 *
 * Each contender starts in a fresh rate-limit window (we wait out the previous one), so neither
 * inherits the other's spent budget.
 *
 * Why the default factor is 0.5: 100,000 users are ~475 pages, which fit in one window of Okta's
 * default 600/min, so the run would only show burst speed. At 300/min the listing needs a second
 * window, so pacing and 429 handling are exercised, and each contender takes about a minute.
 * `rateLimitBoundMs` is the least wall time the limit allows (full windows that must pass);
 * `wallOverBound` close to 1 means the client used the budget as soon as it was available.
 */
import { pathToFileURL } from 'node:url';
import { createLogger, sleep } from '@idgraph/core';
import { createMemoryRateGovernor, createOktaClient } from '@idgraph/okta';
import { startOktaSim, type OktaSim } from '@idgraph/okta-sim';

/** Okta's last published Workforce per-minute limit for GET /api/v1/users (see DEFAULT_BUCKETS in libs/okta-sim/src/rate-limit.ts). */
const USERS_BUCKET_DEFAULT_LIMIT = 600;
const USERS_PAGE_LIMIT = 200;

interface ContenderResult {
  users: number;
  requests: number;
  throttled429: number;
  wallMs: number;
  requestsPerMinute: number;
  shareOfBucketLimit: number;
  rateLimitBoundMs: number;
}

interface SdkCollection {
  [Symbol.asyncIterator](): AsyncIterator<unknown>;
}
interface SdkClient {
  userApi: { listUsers(params: { limit: number }): Promise<SdkCollection> };
}
type SdkModule = { Client: new (config: Record<string, unknown>) => SdkClient };

const log = createLogger({ name: 'bench-client' });

function usersBucketCount(sim: OktaSim): { requests: number; throttled: number } {
  const s = sim.stats();
  const requests = Object.entries(s.byBucket)
    .filter(([bucket]) => bucket.includes('users'))
    .reduce((sum, [, n]) => sum + (n ?? 0), 0);
  return { requests, throttled: s.throttled429 + s.concurrency429 };
}

async function measure(sim: OktaSim, bucketLimit: number, list: () => Promise<number>): Promise<ContenderResult> {
  const before = usersBucketCount(sim);
  const t0 = performance.now();
  const users = await list();
  const wallMs = performance.now() - t0;
  const after = usersBucketCount(sim);
  const requests = after.requests - before.requests;
  const requestsPerMinute = requests / (wallMs / 60_000);
  return {
    users,
    requests,
    throttled429: after.throttled - before.throttled,
    wallMs: Math.round(wallMs),
    requestsPerMinute: Math.round(requestsPerMinute),
    shareOfBucketLimit: Number((requestsPerMinute / bucketLimit).toFixed(3)),
    // Windows last 60 s from their first request: n requests need floor((n−1)/limit) full windows to pass.
    rateLimitBoundMs: Math.floor(Math.max(0, requests - 1) / bucketLimit) * 60_000,
  };
}

/** Sim windows last 60 s from a bucket's first request; waiting one out gives the next contender a fresh budget. */
async function waitForFreshWindow(): Promise<void> {
  const waitMs = 61_000;
  log.info({ waitMs }, 'waiting for the users bucket window to reset');
  await sleep(waitMs);
}

export async function benchClient(opts: { users: number; rateLimitFactor?: number; skipWindowWait?: boolean }): Promise<Record<string, unknown>> {
  const rateLimitFactor = opts.rateLimitFactor ?? 0.5;
  const bucketLimit = Math.max(1, Math.floor(USERS_BUCKET_DEFAULT_LIMIT * rateLimitFactor));
  const genStart = performance.now();
  const sim = await startOktaSim({ users: opts.users, tokenShare: 1, rateLimitFactor, plantPosture: false, logDays: 1 });
  const generateMs = Math.round(performance.now() - genStart);
  try {
    const ours = await measure(sim, bucketLimit, async () => {
      const client = createOktaClient({
        orgUrl: sim.url,
        allowInsecureHttp: true,
        auth: { kind: 'ssws', token: sim.apiToken },
        governor: createMemoryRateGovernor({ share: 1 }),
      });
      let n = 0;
      for await (const page of client.listUsers()) n += page.items.length;
      return n;
    });
    log.info({ ours }, 'idgraph client done');

    if (!opts.skipWindowWait) await waitForFreshWindow();

    const sdk = await measure(sim, bucketLimit, async () => {
      const mod = (await import('@okta/okta-sdk-nodejs')) as unknown as SdkModule & { default?: SdkModule };
      const Client = mod.Client ?? mod.default?.Client;
      if (!Client) throw new Error('@okta/okta-sdk-nodejs exports no Client');
      const client = new Client({ orgUrl: sim.url, token: sim.apiToken, authorizationMode: 'SSWS', cacheMiddleware: null });
      let n = 0;
      for await (const _user of await client.userApi.listUsers({ limit: USERS_PAGE_LIMIT })) n += 1;
      return n;
    });
    log.info({ sdk }, 'okta sdk done');

    if (ours.users !== sdk.users) throw new Error(`user counts differ: idgraph ${ours.users}, sdk ${sdk.users}`);
    return {
      bench: 'client.listUsers',
      orgUsers: opts.users,
      listedUsers: ours.users,
      pageLimit: USERS_PAGE_LIMIT,
      usersBucketLimitPerMinute: bucketLimit,
      rateLimitFactor,
      simGenerateMs: generateMs,
      idgraph: ours,
      oktaSdk: sdk,
      wallTimeRatioSdkToIdgraph: Number((sdk.wallMs / ours.wallMs).toFixed(2)),
      wallOverBound: {
        idgraph: ours.rateLimitBoundMs ? Number((ours.wallMs / ours.rateLimitBoundMs).toFixed(3)) : null,
        oktaSdk: sdk.rateLimitBoundMs ? Number((sdk.wallMs / sdk.rateLimitBoundMs).toFixed(3)) : null,
      },
    };
  } finally {
    await sim.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const users = Number(process.argv[2] ?? 100_000);
  const factor = Number(process.argv[3] ?? 0.5);
  benchClient({ users, rateLimitFactor: factor }).then(
    (result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`),
    (err: unknown) => {
      log.error({ err }, 'client benchmark failed');
      process.exitCode = 1;
    },
  );
}
