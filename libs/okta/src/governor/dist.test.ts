/**
 * The Redis governor reads its Lua scripts from files beside its module: the built package must
 * carry them (pnpm build copies src/governor/lua into dist, `files` publishes dist). Needs
 * `pnpm build` first, as `pnpm test` does.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testRedisPrefix, TEST_REDIS_URL } from '@idgraph/test-support';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('../../', import.meta.url));
const distEntry = new URL('../../dist/index.js', import.meta.url);
const SCRIPTS = ['acquire-lease.lua', 'release-lease.lua', 'record-response.lua'];

describe('built @idgraph/okta', () => {
  it('ships the governor scripts in its package files', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageDir });
    const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const name of SCRIPTS) expect(files).toContain(`dist/governor/lua/${name}`);
  });

  it('finds its scripts when run from dist by plain node', async () => {
    expect(existsSync(distEntry), `${fileURLToPath(distEntry)} is missing: run pnpm build first`).toBe(true);
    const keyPrefix = testRedisPrefix('governor-dist');
    const program = `
      import { Redis } from 'ioredis';
      import { createRedisRateGovernor } from ${JSON.stringify(distEntry.href)};
      const redis = new Redis(${JSON.stringify(TEST_REDIS_URL)});
      const gov = createRedisRateGovernor(redis, { keyPrefix: ${JSON.stringify(keyPrefix)}, probeCount: 1 });
      const lease = await gov.acquire('https://dist.okta.test', '/api/v1/users', AbortSignal.timeout(5000));
      await lease.release(new Headers({ 'x-rate-limit-limit': '10', 'x-rate-limit-remaining': '9', 'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 30) }));
      const keys = await redis.keys(${JSON.stringify(`${keyPrefix}*`)});
      if (keys.length) await redis.del(...keys);
      await redis.quit();
      console.log('granted and released');
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', program], { cwd: packageDir });
    expect(stdout.trim()).toBe('granted and released');
  });
});
