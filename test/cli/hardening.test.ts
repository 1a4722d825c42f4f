/**
 * The CLI against bad input, a hostile database row, a lost key file and servers that misbehave:
 * every refusal says what was wrong and what to give, with no stack trace and no secret in it.
 * The built binary in a child process, against the simulator and a real PostgreSQL database.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rename, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOktaSim, type OktaSim } from '@idgraph/okta-sim';
import { secretKeyFingerprint } from '@idgraph/graph';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { runCli, type CliResult } from './run-cli.js';

let sim: OktaSim;
let db: TestDatabase;
let sql: postgres.Sql;
let dir: string;
let env: Record<string, string>;
const servers: Server[] = [];

beforeAll(async () => {
  sim = await startOktaSim({ seed: 31, users: 60, rateLimitFactor: 20, tokenShare: 1 });
  db = await createTestDatabase('cli_hardening');
  sql = postgres(db.url, { max: 1, onnotice: () => {} });
  dir = await mkdtemp(join(tmpdir(), 'idgraph-hardening-'));
  env = { DATABASE_URL: db.url, OKTA_TOKEN: sim.apiToken, IDGRAPH_DATA_DIR: join(dir, 'data') };
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  await sql?.end();
  await sim?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A local HTTP server; every request it receives is recorded. */
async function httpServer(handler: (req: { url: string; headers: Record<string, unknown> }, res: import('node:http').ServerResponse) => void) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => handler({ url: req.url ?? '/', headers: req.headers }, res));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** One line of the closing table: what was given, the exit code, the message. */
function expectRefusal(r: CliResult, code: number, message: string | RegExp, forbidden: string[] = []): void {
  expect(r.code, r.stderr).toBe(code);
  if (typeof message === 'string') expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
  // No stack trace, no ioredis noise, no internal function or SQL error.
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toContain('[ioredis]');
  expect(r.stderr).not.toMatch(/invalid input syntax|out of range for type|latestRuns/);
  for (const f of forbidden) expect(r.stdout + r.stderr).not.toContain(f);
}

describe('bad input is refused with what was wrong and what to give', () => {
  it('runs -n, sim sizes and factors', async () => {
    expectRefusal(await runCli(['runs', '-n', '0'], { env }), 2, '--limit expects a whole number between 1 and 1000, got "0".');
    expectRefusal(await runCli(['runs', '-n', '1e23'], { env }), 2, '--limit expects a whole number between 1 and 1000, got "1e23".');
    expectRefusal(await runCli(['runs', '-n', 'abc'], { env }), 2, '--limit expects a whole number between 1 and 1000, got "abc".');
    expectRefusal(
      await runCli(['sim', '--users', '5'], { env }),
      2,
      'the simulated org is too small for its planted posture cases: --users 5 (give 40 or more); or add --no-posture-cases for a smaller org without them',
    );
    expect((await runCli(['sim', '--users', '5'], { env })).stderr).not.toContain('plantPosture');
    expectRefusal(
      await runCli(['sim', '--rate-limit-factor', 'abc'], { env }),
      2,
      '--rate-limit-factor expects a number greater than 0 and at most 1000000 (e.g. 0.5 or 20), got "abc".',
    );
  });

  it('org URLs with credentials, a path or a query, never echoing the password', async () => {
    const add = (orgUrl: string) => runCli(['integration', 'add', 'u1', '--org-url', orgUrl, '--token-env', 'OKTA_TOKEN'], { env });
    expectRefusal(
      await add('https://admin:hunter2pw@acme.okta.com'),
      2,
      '--org-url https://***@acme.okta.com contains a user name or password: give only the org, https://acme.okta.com, and the credentials with --token-env or --client-id/--key-file/--kid',
      ['hunter2pw'],
    );
    expectRefusal(await add('https://acme.okta.com/admin/dashboard'), 2, "--org-url https://acme.okta.com/admin/dashboard has a path (/admin/dashboard): give only the org's base URL, https://acme.okta.com");
    expectRefusal(await add('https://acme.okta.com/?session=hunter2pw'), 2, "--org-url https://acme.okta.com?… has a query: give only the org's base URL, https://acme.okta.com", ['hunter2pw']);
    expect(JSON.parse((await runCli(['integration', 'list', '--json'], { env })).stdout)).toEqual([]);
  });

  it('key files: unreadable ones in words, and keys that can never sign refused even with --skip-test', async () => {
    const add = (name: string, keyFile: string) =>
      runCli(['integration', 'add', name, '--org-url', sim.url, '--allow-http', '--client-id', '0oa1', '--kid', 'k1', '--key-file', keyFile, '--skip-test'], { env });
    const missing = join(dir, 'missing.pem');
    expectRefusal(await add('k0', missing), 1, `cannot read --key-file ${missing}: no such file or directory; give the path of the service app's private key (PEM)`);
    expectRefusal(await add('k0', dir), 1, `cannot read --key-file ${dir}: it is a directory, not a file`);
    const garbage = join(dir, 'garbage.pem');
    await writeFile(garbage, '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbCwganVzdCB0ZXh0IGluc2lkZSB0aGUgaGVhZGVycw==\n-----END PRIVATE KEY-----\n');
    expectRefusal(await add('k1', garbage), 1, `--key-file ${garbage} is not a readable PEM private key`, ['bm90IGEga2V5']);
    expect((await add('k1', garbage)).stderr).toContain("give the service app's RSA or EC (P-256, P-384, P-521) private key as unencrypted PEM");
    const ed = join(dir, 'ed25519.pem');
    const edPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await writeFile(ed, edPem);
    expectRefusal(await add('k2', ed), 1, `--key-file ${ed} is an ed25519 key; Okta client assertions are signed with RSA or EC keys: give`, [edPem.split('\n')[1]!]);
    expect(JSON.parse((await runCli(['integration', 'list', '--json'], { env })).stdout)).toEqual([]);
  });

  it('configuration: posture thresholds and the response cap that are not numbers', async () => {
    expectRefusal(
      await runCli(['report'], { env: { ...env, IDGRAPH_POSTURE_SUPER_ADMIN_MAX: 'abc' } }),
      1,
      'idgraph: configuration error: IDGRAPH_POSTURE_SUPER_ADMIN_MAX is invalid ("abc"): expected an integer between 0 and 10000',
    );
    expectRefusal(
      await runCli(['integration', 'list'], { env: { ...env, IDGRAPH_MAX_RESPONSE_BYTES: '64MB' } }),
      1,
      'idgraph: configuration error: IDGRAPH_MAX_RESPONSE_BYTES is invalid ("64MB"): expected an integer between 1024 and 268435456',
    );
  });

  it('collect-now and workers with Redis unreachable: one line naming the URL without its password, quickly', async () => {
    const port = await closedPort();
    const redisEnv = { ...env, REDIS_URL: `redis://:hunter2pw@127.0.0.1:${port}` };
    const expected = `cannot reach Redis at redis://:***@127.0.0.1:${port} (REDIS_URL): connection refused (nothing listens there); start Redis there, or set REDIS_URL to one that is reachable`;
    for (const args of [['collect-now', 'any'], ['workers', '--port', '0']]) {
      const started = Date.now();
      const r = await runCli(args, { env: redisEnv, timeoutMs: 60_000 });
      expectRefusal(r, 1, `idgraph: ${expected}`, ['hunter2pw']);
      expect(r.stderr.trim().split('\n')).toEqual([`idgraph: ${expected}`]);
      // Before, collect-now waited forever; the probe gives up within seconds (the rest is CLI start-up on a busy machine).
      expect(Date.now() - started).toBeLessThan(25_000);
    }
  });
});

describe('stored secrets', () => {
  it('are bound to their integration: an org URL changed in the database gets no token sent to it', async () => {
    const add = await runCli(['integration', 'add', 'bound', '--org-url', sim.url, '--token-env', 'OKTA_TOKEN', '--allow-http'], { env });
    expect(add.code, add.stderr).toBe(0);
    const attacker = await httpServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
    await sql`UPDATE integrations SET org_url = ${attacker.url} WHERE name = 'bound'`;
    const r = await runCli(['integration', 'test', 'bound'], { env });
    expectRefusal(r, 1, /refusing to use the stored secrets of integration [0-9a-f-]{36}: .*org URL was "http:\/\/127\.0\.0\.1:\d+" when the secrets were stored, the row now says "http:\/\/127\.0\.0\.1:\d+"/, [sim.apiToken]);
    expect(r.stderr).toMatch(/store the credentials again for it \(`idgraph scan --name NAME --org-url URL` with the credentials, or `idgraph integration remove NAME` and add it again\); otherwise restore the row\n$/);
    expect(attacker.seen).toEqual([]);
    await sql`UPDATE integrations SET org_url = ${sim.url} WHERE name = 'bound'`;
    expect((await runCli(['integration', 'test', 'bound'], { env })).code).toBe(0);
  });

  it('are never resealed with a new key when the key file is lost; another key names the fingerprint expected', async () => {
    const keyFile = join(dir, 'data', 'secret.key');
    const fingerprint = secretKeyFingerprint((await readFile(keyFile)).toString('base64url'));
    await rename(keyFile, `${keyFile}.bak`);
    try {
      const r = await runCli(['integration', 'test', 'bound'], { env });
      expectRefusal(
        r,
        1,
        `idgraph: the secret key file ${keyFile} is missing, but 1 stored integration secret(s) were sealed with the key of fingerprint ${fingerprint}: restore that file from a backup, or give that key in IDGRAPH_SECRET_KEY (or its directory in IDGRAPH_DATA_DIR); idgraph does not generate a new key while sealed secrets exist (if the key is lost for good, remove those integrations and add them again)`,
      );
      await expect(stat(keyFile)).rejects.toThrow();
      // Adding another integration would have sealed it with a fresh key: refused the same way.
      const other = await runCli(['integration', 'add', 'other', '--org-url', sim.url, '--token-env', 'OKTA_TOKEN', '--allow-http', '--skip-test'], { env });
      expectRefusal(other, 1, `is missing, but 1 stored integration secret(s) were sealed with the key of fingerprint ${fingerprint}`);
      await expect(stat(keyFile)).rejects.toThrow();
      const strangerKey = Buffer.alloc(32, 7).toString('base64url');
      const wrong = await runCli(['integration', 'test', 'bound'], { env: { ...env, IDGRAPH_SECRET_KEY: strangerKey } });
      expectRefusal(wrong, 1, `IDGRAPH_SECRET_KEY has fingerprint ${secretKeyFingerprint(strangerKey)}, but the 1 stored integration secret(s) were sealed with the key of fingerprint ${fingerprint}`, [strangerKey]);
    } finally {
      await rename(`${keyFile}.bak`, keyFile);
    }
    expect((await runCli(['integration', 'test', 'bound'], { env })).code).toBe(0);
    // A key file that is a directory is explained in words, not as EISDIR.
    const otherData = join(dir, 'dir-key');
    await mkdir(join(otherData, 'secret.key'), { recursive: true });
    expectRefusal(await runCli(['integration', 'test', 'bound'], { env: { ...env, IDGRAPH_DATA_DIR: otherData } }), 1, `cannot read the secret key file ${join(otherData, 'secret.key')}: it is a directory, not a file`);
  });
});

describe('an Okta that echoes the bare token in its errors', () => {
  it('keeps it out of run_resources.error, runs --json and stderr', async () => {
    const token = '00EchoedBareToken_abcdefghijklmnopqrstuvwx';
    const echo = await httpServer((req, res) => {
      const auth = String(req.headers.authorization ?? '').replace(/^SSWS /, '');
      res.writeHead(401, { 'content-type': 'application/json' }).end(
        JSON.stringify({ errorCode: 'E0000011', errorSummary: `Invalid token provided: ${auth}`, errorId: 'oae-echo', errorCauses: [] }),
      );
    });
    const scan = await runCli(['scan', '--org-url', echo.url, '--token-env', 'ECHO_TOKEN', '--allow-http', '--name', 'echo', '--resources', 'users,groups'], {
      env: { ...env, ECHO_TOKEN: token },
    });
    expect(scan.code).toBe(1);
    expect(echo.seen.length).toBeGreaterThan(0);
    expect(scan.stdout).toContain('Invalid token provided: [redacted]');
    expect(scan.stdout + scan.stderr).not.toContain(token);
    const rows = await sql<{ error: string | null }[]>`
      SELECT rr.error FROM run_resources rr JOIN collection_runs r ON r.id = rr.run_id JOIN integrations i ON i.id = r.integration_id WHERE i.name = 'echo'`;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.error?.includes('Invalid token provided: [redacted]'))).toBe(true);
    const runs = await runCli(['runs', 'echo', '--json'], { env });
    expect(runs.code).toBe(0);
    expect(runs.stdout).toContain('[redacted]');
    expect(runs.stdout + runs.stderr).not.toContain(token);
    const test = await runCli(['integration', 'test', 'echo'], { env });
    expect(test.code).toBe(1);
    expect(test.stdout + test.stderr).not.toContain(token);
  });
});

describe('report', () => {
  it('honours IDGRAPH_POSTURE_* like scan and workers', async () => {
    const scan = await runCli(['scan', 'bound', '--json'], { env });
    expect(scan.code, scan.stderr).toBe(0);
    const countWith = async (max: string) => {
      const r = await runCli(['report', '--integration', 'bound', '--json'], { env: { ...env, IDGRAPH_POSTURE_SUPER_ADMIN_MAX: max } });
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { checks: { id: string; count: number }[] }).checks.find((c) => c.id === 'admin.super_admin_count')!.count;
    };
    expect(await countWith('0')).toBe(1);
    expect(await countWith('10000')).toBe(0);
  });
});
