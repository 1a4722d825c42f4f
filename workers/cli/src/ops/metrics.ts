/**
 * The workers' /metrics, with prom-client. Okta requests and rate-limit budgets are recorded as
 * responses come in; queue job counts, collection totals, open findings and the stream's counters
 * are read from their sources at each scrape (their totals live in Redis, PostgreSQL and the
 * consumer, which other processes write too).
 */
import { Counter, Gauge, Registry, type LabelValues } from 'prom-client';

/** The Content-Type of the exposition format served (text 0.0.4). */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export interface CollectionTotals {
  integration: string;
  resource: string;
  pages: number;
  objects: number;
  requests: number;
  waited429: number;
  retries: number;
}

export interface StreamSnapshot {
  received: number;
  applied: number;
  dlq: number;
  futureEvents: number;
  handlerErrors: number;
  conflicts: number;
  lagMs: number | null;
}

/** Where scrape-time values come from. */
export interface MetricSources {
  jobCounts(): Promise<{ queue: string; counts: Record<string, number> }[]>;
  collectionTotals(): Promise<CollectionTotals[]>;
  openFindings(): Promise<{ check: string; open: number }[]>;
  /** Null when this process runs no stream consumer. */
  stream(): StreamSnapshot | null;
}

/** A finite number, or 0 (a scrape never shows NaN for a value a source could not give). */
const finite = (v: number): number => (Number.isFinite(v) ? v : 0);

/** A counter whose total is kept elsewhere: shows that total as it is now. */
function setTotal<T extends string>(counter: Counter<T>, labels: LabelValues<T>, total: number): void {
  counter.inc(labels, finite(total));
}

export class WorkerMetrics {
  private readonly registry = new Registry();
  private readonly jobs = this.gauge('idgraph_jobs', 'BullMQ jobs by queue and state', ['queue', 'state']);
  private readonly collection = {
    pages: this.counter('idgraph_collection_pages_total', 'Pages committed by collection runs', ['integration', 'resource']),
    objects: this.counter('idgraph_collection_objects_total', 'Objects collected', ['integration', 'resource']),
    requests: this.counter('idgraph_collection_requests_total', 'Okta requests made by collection runs', ['integration', 'resource']),
    waited429: this.counter('idgraph_collection_429_waits_total', 'Waits for an Okta rate-limit reset after a 429', ['integration', 'resource']),
    retries: this.counter('idgraph_collection_retries_total', 'Retried Okta requests (5xx, timeouts, resets)', ['integration', 'resource']),
  };
  private readonly oktaRequests = this.counter(
    'idgraph_okta_requests_total',
    'Okta requests made by this process, by integration, rate-limit bucket and status',
    ['integration', 'bucket', 'status'],
  );
  private readonly rateRemaining = this.gauge(
    'idgraph_okta_rate_limit_remaining',
    "Requests left in the Okta bucket's current window (X-Rate-Limit-Remaining of the newest response)",
    ['integration', 'bucket'],
  );
  private readonly rateLimit = this.gauge('idgraph_okta_rate_limit_limit', "The Okta bucket's per-minute limit (X-Rate-Limit-Limit)", ['integration', 'bucket']);
  private readonly findingsOpen = this.gauge('idgraph_findings_open', 'Open posture findings by check', ['check']);
  private stream: {
    messages: Counter<'outcome'>;
    dlq: Counter;
    futureEvents: Counter;
    lag: Gauge;
    handlerErrors: Counter;
    conflicts: Counter;
  } | null = null;

  constructor(private readonly sources: MetricSources) {}

  private counter<T extends string = never>(name: string, help: string, labelNames: readonly T[] = []): Counter<T> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge<T extends string = never>(name: string, help: string, labelNames: readonly T[] = []): Gauge<T> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  /** One finished Okta request attempt of a client of this process (status 0: no response). */
  oktaRequest(integration: string, e: { bucket: string; status: number; rateLimit?: { limit: number; remaining: number } | undefined }): void {
    this.oktaRequests.inc({ integration, bucket: e.bucket, status: e.status === 0 ? 'network_error' : String(e.status) });
    if (e.rateLimit) {
      this.rateRemaining.set({ integration, bucket: e.bucket }, finite(e.rateLimit.remaining));
      this.rateLimit.set({ integration, bucket: e.bucket }, finite(e.rateLimit.limit));
    }
  }

  /** Reads the scrape-time sources and renders every metric. */
  async scrape(): Promise<string> {
    const [jobs, totals, findings] = await Promise.all([this.sources.jobCounts(), this.sources.collectionTotals(), this.sources.openFindings()]);
    this.jobs.reset();
    for (const { queue, counts } of jobs) for (const [state, value] of Object.entries(counts)) this.jobs.set({ queue, state }, finite(value));
    for (const counter of Object.values(this.collection)) counter.reset();
    for (const t of totals) {
      const labels = { integration: t.integration, resource: t.resource };
      setTotal(this.collection.pages, labels, t.pages);
      setTotal(this.collection.objects, labels, t.objects);
      setTotal(this.collection.requests, labels, t.requests);
      setTotal(this.collection.waited429, labels, t.waited429);
      setTotal(this.collection.retries, labels, t.retries);
    }
    this.findingsOpen.reset();
    for (const f of findings) this.findingsOpen.set({ check: f.check }, finite(f.open));
    const s = this.sources.stream();
    if (s) {
      // Registered at the first scrape that has a consumer: a process without one shows none of them.
      this.stream ??= {
        messages: this.counter('idgraph_stream_messages_total', 'SQS messages by outcome', ['outcome']),
        dlq: this.counter('idgraph_stream_dlq_total', 'Messages sent to the dead-letter queue'),
        futureEvents: this.counter('idgraph_stream_future_events_total', "Events dead-lettered for a published time later than Okta's clock plus the allowed skew"),
        lag: this.gauge('idgraph_stream_lag_seconds', 'Age of the newest message handled (now - SentTimestamp)'),
        handlerErrors: this.counter('idgraph_stream_handler_errors_total', 'Batches that failed to commit (retried)'),
        conflicts: this.counter('idgraph_stream_event_conflicts_total', 'Events that came with the uuid of a stored event but other content (the stored event is kept)'),
      };
      const m = this.stream;
      for (const counter of [m.messages, m.dlq, m.futureEvents, m.handlerErrors, m.conflicts] as Counter<string>[]) counter.reset();
      setTotal(m.messages, { outcome: 'received' }, s.received);
      setTotal(m.messages, { outcome: 'applied' }, s.applied);
      setTotal(m.messages, { outcome: 'dead_lettered' }, s.dlq);
      setTotal(m.dlq, {}, s.dlq);
      setTotal(m.futureEvents, {}, s.futureEvents);
      m.lag.set(finite((s.lagMs ?? 0) / 1000));
      setTotal(m.handlerErrors, {}, s.handlerErrors);
      setTotal(m.conflicts, {}, s.conflicts);
    }
    return this.registry.metrics();
  }
}
