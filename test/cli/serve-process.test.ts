/**
 * `idgraph serve` runs with a 64 MB young generation (workers/cli/src/heap.ts): V8 takes the flag
 * only at startup, so the command starts itself again with it. The process users start must still
 * behave as the server: it stops, and stops the server, on SIGTERM, with the server's exit code.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_REDIS_URL, waitFor, type TestDatabase } from '@idgraph/test-support';
import { CLI } from './run-cli.js';

let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'idgraph-serve-process-'));
  db = await createTestDatabase('cli_serve_process');
});

afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('idgraph serve as a process', () => {
  it('serves from a child started with --max-semi-space-size=64; SIGTERM to the command stops both, exit code 0', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, IDGRAPH_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' })) if (v !== undefined) env[k] = v;
    delete env.NODE_OPTIONS;
    const command = spawn(process.execPath, [CLI, 'serve', '--port', String(port)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    command.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => command.once('exit', (code) => resolve(code)));
    await waitFor('serve /healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok);

    const children = execFileSync('ps', ['--ppid', String(command.pid), '-o', 'pid=,args='], { encoding: 'utf8' }).trim().split('\n');
    expect(children, stderr).toHaveLength(1);
    const [pid, ...args] = children[0]!.trim().split(/\s+/);
    expect(args).toEqual(expect.arrayContaining(['--max-semi-space-size=64', 'serve', '--port', String(port)]));

    command.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
    await waitFor('the server process to end', () => !existsSync(`/proc/${pid}`), 10_000);
  }, 60_000);
});
