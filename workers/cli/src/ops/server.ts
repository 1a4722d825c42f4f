import { createServer, type Server } from 'node:http';
import { isIPv6 } from 'node:net';
import { describeError, type Logger } from '@idgraph/core';
import { METRICS_CONTENT_TYPE } from './metrics.js';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface OpsServerOptions {
  port: number;
  /** Interface to bind; default 127.0.0.1 (health and metrics are not for the whole network unless asked). */
  host?: string;
  readiness: ReadinessCheck[];
  /** The metrics in Prometheus' text format, rendered at each scrape. */
  metrics: () => Promise<string>;
  logger: Logger;
}

/** /healthz (the process answers), /readyz (dependencies reachable), /metrics (Prometheus). */
export async function startOpsServer(opts: OpsServerOptions): Promise<{ url: string; /** The address the socket is bound to, as the kernel reports it. */ address: string; close(): Promise<void> }> {
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
              // The reason goes to the log only: error text can name hosts, users or internals.
              opts.logger.warn({ check: c.name, err: describeError(err) }, 'readiness check failed');
              return { name: c.name, ok: false as const, error: 'not ready; the reason is in the workers log' };
            }
          }),
        );
        const ready = results.every((r) => r.ok);
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready, checks: results }));
      } else if (path === '/metrics') {
        try {
          const body = await opts.metrics();
          res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(body);
        } catch (err) {
          opts.logger.warn({ err: describeError(err) }, 'metrics scrape failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable; the reason is in the workers log\n');
        }
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz, /readyz or /metrics\n');
      }
    })();
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot serve /healthz, /readyz and /metrics on ${host} port ${opts.port}: ${listenFailure(err)}`)),
    );
    server.listen(opts.port, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    url: `http://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    address: typeof addr === 'object' && addr ? addr.address : host,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function listenFailure(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return 'the port is in use (give another with --port or IDGRAPH_OPS_PORT)';
    case 'EACCES':
      return 'permission denied for that port (give one above 1023 with --port or IDGRAPH_OPS_PORT)';
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return "no such local address (give one of this machine's addresses in IDGRAPH_OPS_HOST, e.g. 127.0.0.1, or 0.0.0.0 for every interface)";
    default:
      return err.message;
  }
}
