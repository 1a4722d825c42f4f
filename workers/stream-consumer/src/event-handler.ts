/**
 * Wires the generic StreamConsumer to idgraph: a message is an EventBridge envelope of one Okta
 * LogEvent, routed to an integration by its `source`; a batch is stored and applied in one
 * transaction by the graph store; targeted refreshes of newly stored events go to `onRefresh`.
 */
import { refreshForMutation, type GraphMutation, type IngestItem, type IngestResult, type LogEventRow, type RefreshRequest } from '@idgraph/graph';
import { createLogger, describeError, eventTimingFromEnv, retry, type Logger } from '@idgraph/core';
import { eventToGraphChanges, futureEventReason, normalizeLogEventRow, parseEventMessage, type EventLimits } from '@idgraph/normalize';
import type { Classification, ReceivedMessageInfo } from './consumer.js';
import type { StreamMetrics } from './metrics.js';
import { OktaSideEffects, refreshesAfterStoring, type SideEffectLookups } from './side-effects.js';

/** One event ready for `ingestEvents`, plus the refreshes it asks for. */
export interface StreamEvent {
  integrationId: string;
  row: LogEventRow;
  mutations: GraphMutation[];
  refresh: RefreshRequest[];
  /**
   * The message was received before (ApproximateReceiveCount > 1): a consumer may have committed
   * the event and died before requesting its refreshes, so they are requested again.
   */
  redelivered?: boolean;
}

/** The store's answer as the handler reads it: GraphStore's IngestResult, where other stores may leave out the conflicts. */
export type IngestEventsResult = Omit<IngestResult, 'conflicts' | 'conflictUuids'> & Partial<Pick<IngestResult, 'conflicts' | 'conflictUuids'>>;

/** What the handler needs of GraphStore (structural, so tests and other stores fit). */
export interface EventStreamStore {
  /** null or undefined: no integration has this source. */
  integrationByEventSource(source: string): Promise<{ id: string } | null | undefined>;
  ingestEvents(items: IngestItem[]): Promise<IngestEventsResult>;
}

export type RefreshSink = (integrationId: string, requests: RefreshRequest[]) => Promise<void> | void;

export interface EventStreamHandlerDeps {
  store: EventStreamStore;
  logger?: Logger;
  onRefresh?: RefreshSink;
  /**
   * Graph reads to follow Okta side effects that have no event (Everyone membership of new users,
   * GROUP-scope app users of joined/left groups, app users of (de)activated users). Without them
   * those rows wait for the next collection.
   */
  sideEffects?: SideEffectLookups;
  /** Size and depth limits of one event (IDGRAPH_MAX_EVENT_BYTES, IDGRAPH_MAX_EVENT_DEPTH); unset ones are the defaults. */
  eventLimits?: Partial<EventLimits>;
  /** Where conflicting duplicates are counted (`conflicts`). */
  metrics?: Pick<StreamMetrics, 'increment'>;
  /** How long a known source → integration lookup is reused. Default 5 min. */
  knownSourceTtlMs?: number;
  /** How long an unknown source is remembered as unknown (a newly added integration is picked up after it). Default 30 s. */
  unknownSourceTtlMs?: number;
  /** Clock of the source lookup cache. */
  now?: () => number;
  /**
   * Okta's clock, for rejecting events published after it: by default the host clock, as the
   * consumer does not talk to Okta (see futureEventReason in @idgraph/normalize for why that is
   * good enough).
   */
  oktaNow?: () => number;
  /** Events published later than now plus this are rejected. Default IDGRAPH_EVENT_MAX_FUTURE_SECONDS (300 s). */
  maxFutureMs?: number;
}

export interface EventStreamHandler {
  classify(body: string, message?: ReceivedMessageInfo): Promise<Classification<StreamEvent>>;
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

  const sideEffects = deps.sideEffects ? new OktaSideEffects(deps.sideEffects) : null;
  const oktaNow = deps.oktaNow ?? Date.now;
  const maxFutureMs = deps.maxFutureMs ?? eventTimingFromEnv().maxFutureMs;

  async function classify(body: string, message?: ReceivedMessageInfo): Promise<Classification<StreamEvent>> {
    const parsed = parseEventMessage(body, deps.eventLimits);
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
    const row = normalizeLogEventRow(parsed.event, parsed.eventJson);
    const future = futureEventReason(row.published, oktaNow(), maxFutureMs);
    if (future) return { ok: false, reason: `event ${row.uuid}: ${future}`, logContext: { ...logContext, published: parsed.event.published }, counter: 'futureEvents' };
    // Throws when the store is unreachable, like the lookup above.
    const extra = sideEffects ? await sideEffects.extraMutations({ integrationId: integration.id, eventType: row.eventType, published: row.published, mutations }) : [];
    const redelivered = (message?.approximateReceiveCount ?? 1) > 1;
    return {
      ok: true,
      key: integration.id,
      value: { integrationId: integration.id, row, mutations: [...mutations, ...extra], refresh, ...(redelivered ? { redelivered } : {}) },
    };
  }

  async function handleBatch(items: StreamEvent[]): Promise<void> {
    // Every copy goes to the store, which stores the first of each uuid and tells a copy with
    // other content (a conflict) from the same event again.
    const result = await deps.store.ingestEvents(
      items.map((e) => ({ integrationId: e.integrationId, row: e.row, mutations: e.mutations, via: 'stream' as const })),
    );
    const conflicts = result.conflicts ?? 0;
    logger.debug(
      { events: items.length, stored: result.stored, duplicates: result.duplicates, conflicts, applied: result.applied },
      'stream batch committed',
    );
    if (conflicts > 0) {
      deps.metrics?.increment('conflicts', conflicts);
      logger.warn(
        { conflicts, uuids: [...new Set(result.conflictUuids ?? [])].slice(0, 100) },
        'events arrived with the uuid of a stored event but other content; the stored events were kept',
      );
    }
    const unique = firstOfEachEvent(items);
    if (!deps.onRefresh) return;
    const stored = new Set(result.storedUuids);
    const needRefresh = unique.filter((e) => stored.has(e.row.uuid) || e.redelivered === true);
    const refreshes = await refreshesAfterStoring(
      needRefresh.map((e) => ({
        integrationId: e.integrationId,
        eventType: e.row.eventType,
        published: e.row.published,
        mutations: e.mutations,
        // A redelivered event may have been committed with mutations deferred to re-reads that were
        // never requested (the consumer died in between); as a duplicate it is not decided again,
        // so every object it changes is re-read.
        refresh: e.redelivered && !stored.has(e.row.uuid) ? [...e.refresh, ...mutationRefreshes(e.mutations)] : e.refresh,
      })),
      sideEffects,
      result.deferred,
    );
    if (result.deferred.length) logger.debug({ deferred: result.deferred.length }, 'events too close to their objects\' last read: re-reading them');
    await requestRefreshes(deps.onRefresh, refreshes, logger);
  }

  return { classify, handleBatch };
}

function mutationRefreshes(mutations: readonly GraphMutation[]): RefreshRequest[] {
  return mutations.map(refreshForMutation).filter((r): r is RefreshRequest => r !== null);
}

/** The same event twice in one batch (an SQS duplicate) is handed to the store once (redelivered if either copy was). */
function firstOfEachEvent(items: StreamEvent[]): StreamEvent[] {
  const seen = new Map<string, StreamEvent>();
  for (const item of items) {
    const key = `${item.integrationId}\u0000${item.row.uuid}`;
    const first = seen.get(key);
    if (!first) seen.set(key, item);
    else if (item.redelivered && !first.redelivered) seen.set(key, { ...first, redelivered: true });
  }
  return [...seen.values()];
}

/**
 * Passes the refreshes of newly stored (or redelivered) events, merged per integration. The batch
 * is already committed; a sink that keeps failing makes the batch fail so its messages are not
 * deleted: they come back, are recognised as redelivered, and ask again. Nothing is lost.
 */
async function requestRefreshes(sink: RefreshSink, byIntegration: Map<string, RefreshRequest[]>, logger: Logger): Promise<void> {
  for (const [integrationId, list] of byIntegration) {
    try {
      await retry(async () => sink(integrationId, list), { attempts: REFRESH_ATTEMPTS, baseMs: 400, jitter: 'equal' });
    } catch (err) {
      const message = describeError(err);
      logger.error({ integrationId, requests: list.length, err: message }, 'could not request targeted refreshes; the batch will be redelivered and ask again');
      throw new Error(`requesting ${list.length} targeted refreshes for integration ${integrationId} failed: ${message}`);
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
