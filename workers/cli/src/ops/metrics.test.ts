import { describe, expect, it } from 'vitest';
import { WorkerMetrics, type MetricSources, type StreamSnapshot } from './metrics.js';

function sources(over: Partial<MetricSources> = {}): MetricSources & { totals: { requests: number }; snapshot: StreamSnapshot | null } {
  const state = {
    totals: { requests: 7 },
    snapshot: { received: 10, applied: 8, dlq: 2, futureEvents: 1, handlerErrors: 0, conflicts: 3, lagMs: 1500 } as StreamSnapshot | null,
  };
  return Object.assign(state, {
    jobCounts: async () => [{ queue: 'idgraph-collect', counts: { completed: 2, failed: 0 } }],
    collectionTotals: async () => [{ integration: 'acme', resource: 'users', pages: 3, objects: 400, requests: state.totals.requests, waited429: 1, retries: NaN }],
    openFindings: async () => [{ check: 'admin.no_mfa', open: 4 }],
    stream: () => state.snapshot,
    ...over,
  });
}

describe('WorkerMetrics', () => {
  it('renders every metric the workers have always served, in the Prometheus text format', async () => {
    const metrics = new WorkerMetrics(sources());
    metrics.oktaRequest('acme', { bucket: '/api/v1/users', status: 200, rateLimit: { limit: 600, remaining: 598 } });
    metrics.oktaRequest('acme', { bucket: '/api/v1/users', status: 200 });
    metrics.oktaRequest('acme', { bucket: '/api/v1/users', status: 0 });
    const text = await metrics.scrape();
    for (const line of [
      '# TYPE idgraph_jobs gauge',
      'idgraph_jobs{queue="idgraph-collect",state="completed"} 2',
      '# TYPE idgraph_collection_pages_total counter',
      'idgraph_collection_pages_total{integration="acme",resource="users"} 3',
      'idgraph_collection_objects_total{integration="acme",resource="users"} 400',
      'idgraph_collection_requests_total{integration="acme",resource="users"} 7',
      'idgraph_collection_429_waits_total{integration="acme",resource="users"} 1',
      // A value the source could not give shows as 0, never NaN.
      'idgraph_collection_retries_total{integration="acme",resource="users"} 0',
      'idgraph_okta_requests_total{integration="acme",bucket="/api/v1/users",status="200"} 2',
      'idgraph_okta_requests_total{integration="acme",bucket="/api/v1/users",status="network_error"} 1',
      'idgraph_okta_rate_limit_remaining{integration="acme",bucket="/api/v1/users"} 598',
      'idgraph_okta_rate_limit_limit{integration="acme",bucket="/api/v1/users"} 600',
      'idgraph_findings_open{check="admin.no_mfa"} 4',
      'idgraph_stream_messages_total{outcome="received"} 10',
      'idgraph_stream_messages_total{outcome="applied"} 8',
      'idgraph_stream_messages_total{outcome="dead_lettered"} 2',
      'idgraph_stream_dlq_total 2',
      'idgraph_stream_future_events_total 1',
      'idgraph_stream_lag_seconds 1.5',
      'idgraph_stream_handler_errors_total 0',
      'idgraph_stream_event_conflicts_total 3',
    ]) {
      expect(text.split('\n'), line).toContain(line);
    }
  });

  it('shows the totals the sources hold at each scrape, without adding scrapes up, and no stream metrics without a consumer', async () => {
    const s = sources();
    s.snapshot = null;
    const metrics = new WorkerMetrics(s);
    await metrics.scrape();
    s.totals.requests = 9;
    const text = await metrics.scrape();
    expect(text).toContain('idgraph_collection_requests_total{integration="acme",resource="users"} 9\n');
    expect(text).not.toContain('idgraph_stream_');
  });
});
