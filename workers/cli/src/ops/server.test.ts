import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@idgraph/core';
import { startOpsServer } from './server.js';

const logLines: string[] = [];
const logger = createLogger({ level: 'warn' }, new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } }));
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('ops server', () => {
  it('binds 127.0.0.1 unless told otherwise, and says so', async () => {
    const ops = await startOpsServer({ port: 0, logger, readiness: [], metrics: async () => '' });
    close = ops.close;
    expect(ops.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
    // The socket itself, not only the message: bound to loopback, it is unreachable from other hosts.
    expect(ops.address).toBe('127.0.0.1');
  });

  it('serves on the address given (e.g. IDGRAPH_OPS_HOST) and refuses one this machine does not have, saying what to give', async () => {
    const ops = await startOpsServer({ port: 0, host: '0.0.0.0', logger, readiness: [], metrics: async () => '' });
    close = ops.close;
    expect(ops.address).toBe('0.0.0.0');
    expect((await fetch(`http://127.0.0.1:${new URL(ops.url).port}/healthz`)).status).toBe(200);
    await expect(startOpsServer({ port: 0, host: '192.0.2.1', logger, readiness: [], metrics: async () => '' })).rejects.toThrow(
      /cannot serve \/healthz, \/readyz and \/metrics on 192\.0\.2\.1 port 0: no such local address \(give one of this machine's addresses in IDGRAPH_OPS_HOST/,
    );
  });

  it('/readyz and /metrics say what is not ready without raw error text, which goes to the log', async () => {
    const secretish = 'connect ECONNREFUSED 10.1.2.3:6379 user=admin password=hunter2';
    const ops = await startOpsServer({
      port: 0,
      logger,
      readiness: [
        { name: 'redis', check: async () => { throw new Error(secretish); } },
        { name: 'postgres', check: async () => {} },
      ],
      metrics: async () => { throw new Error(secretish); },
    });
    close = ops.close;
    const res = await fetch(`${ops.url}/readyz`);
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({
      ready: false,
      checks: [{ name: 'redis', ok: false, error: 'not ready; the reason is in the workers log' }, { name: 'postgres', ok: true }],
    });
    const metrics = await fetch(`${ops.url}/metrics`);
    expect(metrics.status).toBe(500);
    const metricsBody = await metrics.text();
    for (const text of [body, metricsBody]) {
      expect(text).not.toContain('10.1.2.3');
      expect(text).not.toContain('hunter2');
    }
    expect(logLines.join('')).toContain('readiness check failed');
    expect(logLines.join('')).toContain('ECONNREFUSED 10.1.2.3:6379');
  });
});
