/**
 * `idgraph workers` as operators run it: a separate process on real Redis and PostgreSQL,
 * driven by `collect-now --wait`, observed through /readyz and /metrics, stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOktaSim, type OktaSim } from '@idgraph/okta-sim';
import { sortExportLines, toJsonl } from '@idgraph/graph';
import { createTestDatabase, TEST_REDIS_URL, waitFor, type TestDatabase } from '@idgraph/test-support';
import { CLI, runCli } from './run-cli.js';

let sim: OktaSim;
let db: TestDatabase;
let env: Record<string, string>;
let workers: ChildProcess | undefined;
const port = 20_000 + Math.floor(Math.random() * 20_000);

beforeAll(async () => {
  sim = await startOktaSim({ seed: 21, users: 200, rateLimitFactor: 20, tokenShare: 1 });
  db = await createTestDatabase('cli_workers');
  env = {
    DATABASE_URL: db.url,
    OKTA_TOKEN: sim.apiToken,
    IDGRAPH_QUEUE_PREFIX: `idgtest-${randomBytes(4).toString('hex')}`,
  };
  const add = await runCli(['integration', 'add', 'w', '--org-url', sim.url, '--token-env', 'OKTA_TOKEN', '--allow-http'], { env });
  expect(add.code).toBe(0);
});

afterAll(async () => {
  if (workers && workers.exitCode === null) workers.kill('SIGKILL');
  await sim?.close();
  await db?.drop();
});

describe('idgraph workers', () => {
  it('serves health, runs Collect Now to completion, exposes metrics, and stops on SIGTERM', async () => {
    const childEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined && k !== 'LOG_LEVEL') childEnv[k] = v;
    workers = spawn(process.execPath, [CLI, 'workers', '--port', String(port), '--rate-share', '1'], { env: { ...childEnv, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    workers.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const base = `http://127.0.0.1:${port}`;
    expect(await waitFor('healthz', async () => (await fetch(`${base}/healthz`)).ok)).toBe(true);
    const ready = await waitFor('readyz', async () => {
      const r = await fetch(`${base}/readyz`);
      return r.status === 200 ? ((await r.json()) as { ready: boolean }) : undefined;
    });
    expect(ready.ready).toBe(true);

    const collect = await runCli(['collect-now', 'w', '--wait', '--json'], { env, timeoutMs: 120_000 });
    expect(collect.code).toBe(0);
    expect(JSON.parse(collect.stdout)).toMatchObject({ state: 'completed', summary: { status: 'succeeded' } });

    // The shared rate budget lives under this deployment's IDGRAPH_QUEUE_PREFIX, not under a global key.
    const redis = new Redis(TEST_REDIS_URL);
    try {
      expect((await redis.keys(`${env.IDGRAPH_QUEUE_PREFIX}:idgraph:rl:{${sim.url}}:*`)).length).toBeGreaterThan(0);
      expect(await redis.keys(`idgraph:rl:{${sim.url}}*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
    expect(stderr).toContain(`health and metrics on http://127.0.0.1:${port}`);

    const exported = await runCli(['graph', 'export', '--integration', 'w'], { env });
    expect(exported.stdout).toBe(toJsonl(sortExportLines(sim.truth())));

    const runs = await runCli(['runs', 'w', '--json'], { env });
    const list = JSON.parse(runs.stdout) as { status: string; trigger: string }[];
    expect(list.some((r) => r.status === 'succeeded' && r.trigger === 'collect-now')).toBe(true);
    const status = await runCli(['status', '--json'], { env });
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ integration: 'w', run: { status: expect.any(String) } });

    // Posture runs (debounced) after the collection; the metrics show it with the rest.
    const metrics = await waitFor('findings in /metrics', async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return /idgraph_findings_open\{check="[^"]+"\} [1-9]/.test(text) ? text : undefined;
    });
    expect(metrics).toMatch(/idgraph_jobs\{queue="idgraph-collect",state="completed"\} [1-9]/);
    expect(metrics).toMatch(/idgraph_collection_requests_total\{integration="w",resource="users"\} [1-9]/);
    expect(metrics).toMatch(/idgraph_okta_requests_total\{integration="w",bucket="[^"]+",status="200"\} [1-9]/);
    expect(metrics).toMatch(/idgraph_okta_rate_limit_remaining\{integration="w",bucket="\/api\/v1\/users"\} \d+/);
    expect(metrics).not.toContain(sim.apiToken);

    const exited = new Promise<number | null>((resolve) => workers!.once('exit', (code) => resolve(code)));
    workers.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
    expect(code, stderr).toBe(0);
    expect(stderr).not.toContain(sim.apiToken);
  }, 180_000);
});
