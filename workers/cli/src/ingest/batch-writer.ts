import { EventSideEffects, refreshesAfterStoring, type DeferredRefresh, type EncodedEventBatch, type EncodedIngestResult, type IngestItem, type IngestResult, type RefreshRequest } from '@idgraph/graph';
import type { DecodedChunk } from './decode-lines.js';

export interface WrittenCounts {
  stored: number;
  duplicates: number;
  /** Events whose uuid was stored already with other content (the stored one stays). */
  conflicts: number;
  /** Newly stored events that changed the graph (carried mutations or asked for re-reads). */
  applied: number;
  /** Row changes those events made. */
  mutationsApplied: number;
}

export interface EventBatchStore {
  ingestEvents(items: IngestItem[]): Promise<IngestResult>;
  ingestEncodedEvents(batch: EncodedEventBatch): Promise<EncodedIngestResult>;
}

/** Conflicting uuids listed at most (all are counted). */
export const MAX_LISTED_CONFLICTS = 1000;

/**
 * Writes decoded chunks as batches (one transaction each), `inFlight` at a time on their own
 * connections, while the caller goes on reading. Events commute (Okta time wins, uuids dedupe,
 * a deadlock is retried), so the order batches commit in does not matter. Adds the Okta side
 * effects' mutations (Everyone membership of new users) and collects the targeted refreshes the
 * stored events need, for the caller to run after `finish()`.
 */
export class EventBatchWriter {
  readonly counts: WrittenCounts = { stored: 0, duplicates: 0, conflicts: 0, applied: 0, mutationsApplied: 0 };
  /** The uuids of the conflicts, the first MAX_LISTED_CONFLICTS of them. */
  readonly conflictUuids: string[] = [];
  private readonly refreshes = new Map<string, RefreshRequest>();
  private readonly writing: Promise<void>[] = [];
  /** The last batch held events stored before: the next is likely more of a replay. */
  private replaying = false;

  constructor(
    private readonly opts: {
      store: EventBatchStore;
      sideEffects: EventSideEffects;
      integrationId: string;
      inFlight: number;
      /** Called once a chunk's events are stored: its tuples are no longer needed. */
      onStored?: (chunk: DecodedChunk) => void;
    },
  ) {}

  /** Starts writing the chunk's events; resolves once it is under way (waits while `inFlight` batches are). */
  async add(chunk: DecodedChunk): Promise<void> {
    if (chunk.uuids.length === 0) return;
    if (this.writing.length >= this.opts.inFlight) await this.writing.shift();
    for (const change of chunk.changes) {
      if (!EventSideEffects.addsMutations(change.implied)) continue;
      const extra = await this.opts.sideEffects.mutations({ integrationId: this.opts.integrationId, implied: change.implied });
      if (extra.length) change.mutations = [...change.mutations, ...extra];
    }
    const written = this.write(chunk);
    // Awaited later; until then a failure must not count as unhandled.
    written.catch(() => undefined);
    this.writing.push(written);
  }

  /** Waits for every batch; throws the first failure. */
  async finish(): Promise<RefreshRequest[]> {
    while (this.writing.length) await this.writing.shift();
    return [...this.refreshes.values()];
  }

  private async write(chunk: DecodedChunk): Promise<void> {
    const { stored, duplicates, conflicts, conflictUuids, applied, deferred, isStored } = await this.store(chunk);
    this.opts.onStored?.(chunk);
    this.replaying = duplicates + conflicts > 0;
    this.counts.stored += stored;
    this.counts.duplicates += duplicates;
    this.counts.conflicts += conflicts;
    for (const uuid of conflictUuids) if (this.conflictUuids.length < MAX_LISTED_CONFLICTS && !this.conflictUuids.includes(uuid)) this.conflictUuids.push(uuid);
    this.counts.mutationsApplied += applied;
    // Side effects follow from mutations, so events that change nothing need no look.
    const changed = chunk.changes.filter((c) => isStored(c.index));
    this.counts.applied += changed.length;
    const integrationId = this.opts.integrationId;
    // With the re-reads the store asked for instead of deciding events too close to a read.
    const needed = await refreshesAfterStoring(changed.map((c) => ({ integrationId, ...c })), this.opts.sideEffects, deferred);
    for (const r of needed.get(integrationId) ?? []) this.refreshes.set(JSON.stringify(r), r);
  }

  private async store(
    chunk: DecodedChunk,
  ): Promise<{ stored: number; duplicates: number; conflicts: number; conflictUuids: string[]; applied: number; deferred: DeferredRefresh[]; isStored: (index: number) => boolean }> {
    const { integrationId } = this.opts;
    if (chunk.tuples && chunk.tupleEnds) {
      const result = await this.opts.store.ingestEncodedEvents({
        integrationId,
        uuids: chunk.uuids,
        tuples: chunk.tuples,
        tupleEnds: chunk.tupleEnds,
        mutations: new Map(chunk.changes.map((c) => [c.index, c.mutations])),
        lookUpFirst: this.replaying,
      });
      const storedIndexes = new Set(result.storedIndexes);
      return { ...result, isStored: (index) => storedIndexes.has(index) };
    }
    if (!chunk.rows) throw new Error('a decoded chunk holds neither COPY tuples nor rows');
    const items: IngestItem[] = chunk.rows.map((row) => ({ integrationId, row, mutations: [], via: 'file' }));
    for (const c of chunk.changes) items[c.index]!.mutations = c.mutations;
    const result = await this.opts.store.ingestEvents(items);
    const storedUuids = new Set(result.storedUuids);
    return { ...result, isStored: (index) => storedUuids.has(chunk.uuids[index]!) };
  }
}
