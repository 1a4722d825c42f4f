import { createServer, type Server } from 'node:http';
import type { Logger } from '@idgraph/core';
import { renderPrometheus, type MetricFamily } from './prometheus.js';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface OpsServerOptions {
  port: number;
  host?: string;
  readiness: ReadinessCheck[];
  metrics: () => Promise<MetricFamily[]>;
  logger: Logger;
}

/** /healthz (the process answers), /readyz (dependencies reachable), /metrics (Prometheus). */
export async function startOpsServer(opts: OpsServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    void (async () => {
      if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      } else if (path === '/readyz') {
        const results = await Promise.all(
          opts.readiness.map(async (c) => {
            try {
              await c.check();
              return { name: c.name, ok: true as const };
            } catch (err) {
              return { name: c.name, ok: false as const, error: (err as Error).message };
            }
          }),
        );
        const ready = results.every((r) => r.ok);
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready, checks: results }));
      } else if (path === '/metrics') {
        try {
          const body = renderPrometheus(await opts.metrics());
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
        } catch (err) {
          opts.logger.warn({ err: (err as Error).message }, 'metrics scrape failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${(err as Error).message}\n`);
        }
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz, /readyz or /metrics\n');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
