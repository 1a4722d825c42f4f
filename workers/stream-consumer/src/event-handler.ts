/**
 * Wires the generic StreamConsumer to idgraph: a message is an EventBridge envelope of one Okta
 * LogEvent, routed to an integration by its `source`; a batch is stored and applied in one
 * transaction by the graph store; targeted refreshes of newly stored events go to `onRefresh`.
 */
import type { GraphMutation, LogEventRow, RefreshRequest } from '@idgraph/graph';
import { createLogger, scrubSecrets, type Logger } from '@idgraph/core';
import { eventToGraphChanges, normalizeLogEventRow, parseEventMessage } from '@idgraph/normalize';
import { sleep } from './backoff.js';
import type { Classification } from './consumer.js';

/** One event ready for `ingestEvents`, plus the refreshes it asks for. */
export interface StreamEvent {
  integrationId: string;
  row: LogEventRow;
  mutations: GraphMutation[];
  refresh: RefreshRequest[];
}

export interface IngestEventItem {
  integrationId: string;
  row: LogEventRow;
  mutations: GraphMutation[];
  via: 'stream' | 'poll' | 'file';
}

export interface IngestEventsResult {
  stored: number;
  duplicates: number;
  applied: number;
  storedUuids: string[];
}

/** What the handler needs of GraphStore (structural, so tests and other stores fit). */
export interface EventStreamStore {
  /** null or undefined: no integration has this source. */
  integrationByEventSource(source: string): Promise<{ id: string } | null | undefined>;
  ingestEvents(items: IngestEventItem[]): Promise<IngestEventsResult>;
}

export type RefreshSink = (integrationId: string, requests: RefreshRequest[]) => Promise<void> | void;

export interface EventStreamHandlerDeps {
  store: EventStreamStore;
  logger?: Logger;
  onRefresh?: RefreshSink;
  /** How long a known source → integration lookup is reused. Default 5 min. */
  knownSourceTtlMs?: number;
  /** How long an unknown source is remembered as unknown (a newly added integration is picked up after it). Default 30 s. */
  unknownSourceTtlMs?: number;
  now?: () => number;
}

export interface EventStreamHandler {
  classify(body: string): Promise<Classification<StreamEvent>>;
  handleBatch(items: StreamEvent[]): Promise<void>;
}

const REFRESH_ATTEMPTS = 3;

export function createEventStreamHandler(deps: EventStreamHandlerDeps): EventStreamHandler {
  const logger = deps.logger ?? createLogger({ name: 'stream-handler' });
  const integrations = new IntegrationBySourceCache(
    deps.store,
    deps.knownSourceTtlMs ?? 5 * 60_000,
    deps.unknownSourceTtlMs ?? 30_000,
    deps.now ?? Date.now,
  );

  async function classify(body: string): Promise<Classification<StreamEvent>> {
    const parsed = parseEventMessage(body);
    if (!parsed.ok) return { ok: false, reason: parsed.reason, logContext: safeIdentifiers(body) };
    const logContext = { uuid: parsed.event.uuid, eventType: parsed.event.eventType };
    if (parsed.source === null) {
      return { ok: false, reason: 'bare LogEvent without an EventBridge envelope: no source to route it by', logContext };
    }
    // Throws when the store is unreachable: the consumer retries the batch instead of dead-lettering.
    const integration = await integrations.lookup(parsed.source);
    if (!integration) {
      return {
        ok: false,
        reason: `unknown event source ${parsed.source}: no integration is configured with it (integration add --event-source)`,
        logContext: { ...logContext, source: parsed.source },
      };
    }
    const { mutations, refresh } = eventToGraphChanges(parsed.event);
    return {
      ok: true,
      key: integration.id,
      value: { integrationId: integration.id, row: normalizeLogEventRow(parsed.event), mutations, refresh },
    };
  }

  async function handleBatch(items: StreamEvent[]): Promise<void> {
    const unique = firstOfEachEvent(items);
    const result = await deps.store.ingestEvents(
      unique.map((e) => ({ integrationId: e.integrationId, row: e.row, mutations: e.mutations, via: 'stream' as const })),
    );
    logger.debug(
      { events: unique.length, stored: result.stored, duplicates: result.duplicates, applied: result.applied },
      'stream batch committed',
    );
    if (deps.onRefresh) await requestRefreshes(deps.onRefresh, unique, new Set(result.storedUuids), logger);
  }

  return { classify, handleBatch };
}

/** The same event twice in one batch (an SQS duplicate) is handed to the store once. */
function firstOfEachEvent(items: StreamEvent[]): StreamEvent[] {
  const seen = new Set<string>();
  const out: StreamEvent[] = [];
  for (const item of items) {
    const key = `${item.integrationId}\u0000${item.row.uuid}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  return out;
}

/**
 * Passes the refreshes of newly stored events (duplicates were handled the first time), merged
 * per integration. The batch is already committed, so a failing sink is retried here and then
 * logged rather than thrown: a redelivery would find the events stored and not ask again.
 */
async function requestRefreshes(sink: RefreshSink, events: StreamEvent[], storedUuids: Set<string>, logger: Logger): Promise<void> {
  const byIntegration = new Map<string, Map<string, RefreshRequest>>();
  for (const event of events) {
    if (!storedUuids.has(event.row.uuid) || event.refresh.length === 0) continue;
    let requests = byIntegration.get(event.integrationId);
    if (!requests) byIntegration.set(event.integrationId, (requests = new Map()));
    for (const r of event.refresh) requests.set(JSON.stringify(r), r);
  }
  for (const [integrationId, requests] of byIntegration) {
    const list = [...requests.values()];
    for (let attempt = 1; ; attempt++) {
      try {
        await sink(integrationId, list);
        break;
      } catch (err) {
        const message = scrubSecrets(err instanceof Error ? err.message : String(err));
        if (attempt >= REFRESH_ATTEMPTS) {
          logger.error(
            { integrationId, requests: list.length, err: message },
            'could not request targeted refreshes; the next scheduled collection will reconcile these objects',
          );
          break;
        }
        await sleep(200 * attempt);
      }
    }
  }
}

/** Event source → integration, cached; concurrent lookups of one source share one store query. */
class IntegrationBySourceCache {
  private readonly entries = new Map<string, { value: Promise<{ id: string } | null>; expiresAt: number }>();

  constructor(
    private readonly store: EventStreamStore,
    private readonly knownTtlMs: number,
    private readonly unknownTtlMs: number,
    private readonly now: () => number,
  ) {}

  async lookup(source: string): Promise<{ id: string } | null> {
    const cached = this.entries.get(source);
    if (cached && cached.expiresAt > this.now()) return cached.value;
    const value = this.store.integrationByEventSource(source).then((found) => found ?? null);
    // Until it settles, concurrent callers share the pending lookup.
    const entry = { value, expiresAt: Number.POSITIVE_INFINITY };
    this.entries.set(source, entry);
    try {
      const integration = await value;
      entry.expiresAt = this.now() + (integration ? this.knownTtlMs : this.unknownTtlMs);
      return integration;
    } catch (err) {
      // Failures are not cached: the next message asks the store again.
      if (this.entries.get(source) === entry) this.entries.delete(source);
      throw err;
    }
  }
}

/** uuid / eventType of a rejected message when they can be read, for the log line; never the body. */
function safeIdentifiers(body: string): Record<string, string | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { uuid: null, eventType: null };
  }
  const record = isObject(parsed) ? parsed : {};
  const event = isObject(record['detail']) ? record['detail'] : record;
  return { uuid: shortString(event['uuid']), eventType: shortString(event['eventType']) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shortString(v: unknown): string | null {
  return typeof v === 'string' ? v.slice(0, 80) : null;
}
