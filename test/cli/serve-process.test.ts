/**
 * `idgraph serve` runs with a 64 MB young generation (workers/cli/src/heap.ts): V8 takes the flag
 * only at startup, so the command starts itself again with it. The process users start must still
 * behave as the server: SIGTERM or SIGINT to it stops the server gracefully, with the server's exit
 * code; killed outright, it leaves no server behind.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

function startServe(): { command: ReturnType<typeof spawn>; port: number; exited: Promise<number | null>; stderr: () => string } {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, IDGRAPH_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' })) if (v !== undefined) env[k] = v;
  delete env.NODE_OPTIONS;
  const command = spawn(process.execPath, [CLI, 'serve', '--port', String(port)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  command.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => command.once('exit', (code) => resolve(code)));
  return { command, port, exited, stderr: () => stderr };
}

/** True once the process has ended (gone, or a zombie waiting for a parent that is gone to reap it). */
function ended(pid: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

/** The server process: the command's one child, with its arguments. */
async function serverOf(s: ReturnType<typeof startServe>): Promise<{ pid: string; args: string[] }> {
  await waitFor('serve /healthz', async () => (await fetch(`http://127.0.0.1:${s.port}/healthz`).catch(() => null))?.ok);
  const children = execFileSync('ps', ['--ppid', String(s.command.pid), '-o', 'pid=,args='], { encoding: 'utf8' }).trim().split('\n');
  expect(children, s.stderr()).toHaveLength(1);
  const [pid, ...args] = children[0]!.trim().split(/\s+/);
  return { pid: pid!, args };
}

describe('idgraph serve as a process', () => {
  it('serves from a child started with --max-semi-space-size=64; SIGTERM to the command stops both, exit code 0', async () => {
    const s = startServe();
    const server = await serverOf(s);
    expect(server.args).toEqual(expect.arrayContaining(['--max-semi-space-size=64', 'serve', '--port', String(s.port)]));
    s.command.kill('SIGTERM');
    expect(await s.exited, s.stderr()).toBe(0);
    await waitFor('the server process to end', () => ended(server.pid), 10_000);
  }, 60_000);

  it('SIGINT to the command (Ctrl-C) stops the server once, gracefully: exit code 0', async () => {
    const s = startServe();
    const server = await serverOf(s);
    s.command.kill('SIGINT');
    expect(await s.exited, s.stderr()).toBe(0);
    await waitFor('the server process to end', () => ended(server.pid), 10_000);
  }, 60_000);

  it('a command killed outright (SIGKILL) leaves no server holding the port', async () => {
    const s = startServe();
    const server = await serverOf(s);
    s.command.kill('SIGKILL');
    await s.exited;
    await waitFor('the server process to end', () => ended(server.pid), 15_000);
    expect(await fetch(`http://127.0.0.1:${s.port}/healthz`).then(() => 'answered', () => 'refused')).toBe('refused');
  }, 60_000);
});
