import type { IngestItem, IngestResult, RefreshRequest } from '@idgraph/graph';
import { refreshesAfterStoring, type OktaSideEffects, type SideEffectEvent } from '@idgraph/stream-consumer';

/** An event ready to store, with the re-reads it asked for itself. */
export interface PendingEvent {
  item: IngestItem;
  refresh: RefreshRequest[];
}

export interface WrittenCounts {
  stored: number;
  duplicates: number;
  /** Newly stored events that changed the graph (carried mutations or asked for re-reads). */
  applied: number;
  /** Row changes those events made. */
  mutationsApplied: number;
}

/**
 * Writes events in batches (one transaction each), `inFlight` batches at a time on their own
 * connections, while the caller goes on reading. Events commute (Okta time wins, uuids dedupe,
 * a deadlock is retried), so the order batches commit in does not matter. Collects the targeted
 * refreshes the stored events need, for the caller to run after `finish()`.
 */
export class EventBatchWriter {
  readonly counts: WrittenCounts = { stored: 0, duplicates: 0, applied: 0, mutationsApplied: 0 };
  private readonly refreshes = new Map<string, RefreshRequest>();
  private batch: PendingEvent[] = [];
  private readonly writing: Promise<void>[] = [];

  constructor(
    private readonly opts: {
      store: { ingestEvents(items: IngestItem[]): Promise<IngestResult> };
      sideEffects: OktaSideEffects;
      integrationId: string;
      batchSize: number;
      inFlight: number;
    },
  ) {}

  async add(event: PendingEvent): Promise<void> {
    this.batch.push(event);
    if (this.batch.length >= this.opts.batchSize) await this.flush();
  }

  /** Writes what is left and waits for every batch; throws the first failure. */
  async finish(): Promise<RefreshRequest[]> {
    await this.flush();
    while (this.writing.length) await this.writing.shift();
    return [...this.refreshes.values()];
  }

  private async flush(): Promise<void> {
    if (this.writing.length >= this.opts.inFlight) await this.writing.shift();
    if (!this.batch.length) return;
    const written = this.write(this.batch);
    this.batch = [];
    // Awaited later; until then a failure must not count as unhandled.
    written.catch(() => undefined);
    this.writing.push(written);
  }

  private async write(events: PendingEvent[]): Promise<void> {
    const result = await this.opts.store.ingestEvents(events.map((e) => e.item));
    this.counts.stored += result.stored;
    this.counts.duplicates += result.duplicates;
    this.counts.mutationsApplied += result.applied;
    const stored = new Set(result.storedUuids);
    const fresh = events.filter((e) => stored.has(e.item.row.uuid));
    this.counts.applied += fresh.filter((e) => e.item.mutations.length + e.refresh.length > 0).length;
    const needed = await refreshesAfterStoring(fresh.map((e) => ({ ...sideEffectEventOf(e.item), refresh: e.refresh })), this.opts.sideEffects);
    for (const r of needed.get(this.opts.integrationId) ?? []) this.refreshes.set(JSON.stringify(r), r);
  }
}

export function sideEffectEventOf(item: IngestItem): SideEffectEvent {
  return { integrationId: item.integrationId, eventType: item.row.eventType, published: item.row.published, mutations: item.mutations };
}
