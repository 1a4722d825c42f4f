/**
 * Debounced posture runs for streamed changes: a burst of events for one integration results in
 * one run `delayMs` after the burst goes quiet (and at most `maxDelayMs` after its first event),
 * never two runs of the same integration at once.
 */
import type { Logger } from '@idgraph/core';

export interface PostureDebouncerOptions {
  /** Runs the checks for one integration (e.g. `(id) => runPostureChecks({ db, store, integrationId: id })`). */
  run: (integrationId: string) => Promise<unknown>;
  /** Quiet time after the last trigger before running. */
  delayMs: number;
  /** Upper bound on how long a constant stream of triggers can postpone a run. Default 10 × delayMs. */
  maxDelayMs?: number;
  logger?: Logger;
}

export interface PostureDebouncer {
  /** Notes a change for the integration; schedules (or postpones) its run. */
  trigger(integrationId: string): void;
  /** Runs every pending integration now and waits for all runs, including ones in flight. */
  flush(): Promise<void>;
  /** Cancels pending runs and waits for in-flight ones; later triggers are ignored. */
  close(): Promise<void>;
  /** Integrations with a scheduled (not yet started) run. */
  pending(): string[];
}

interface Slot {
  timer: NodeJS.Timeout | undefined;
  firstTriggerAt: number;
  running: Promise<void> | undefined;
  /** A trigger arrived while running: run again afterwards. */
  again: boolean;
}

function runningOf(slots: Map<string, Slot>): Promise<void>[] {
  return [...slots.values()].flatMap((s) => (s.running ? [s.running] : []));
}

export function createPostureDebouncer(opts: PostureDebouncerOptions): PostureDebouncer {
  if (!Number.isFinite(opts.delayMs) || opts.delayMs < 0) {
    throw new Error(`createPostureDebouncer: delayMs must be a non-negative number of milliseconds, got ${String(opts.delayMs)}`);
  }
  const maxDelayMs = opts.maxDelayMs ?? opts.delayMs * 10;
  if (!Number.isFinite(maxDelayMs) || maxDelayMs < opts.delayMs) {
    throw new Error(`createPostureDebouncer: maxDelayMs must be >= delayMs (${opts.delayMs}), got ${String(maxDelayMs)}`);
  }
  const slots = new Map<string, Slot>();
  let closed = false;

  function start(id: string, slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    if (slot.running) {
      slot.again = true;
      return;
    }
    slot.running = (async () => {
      try {
        await opts.run(id);
      } catch (err) {
        opts.logger?.error({ integration: id, err }, 'debounced posture run failed');
      }
    })().finally(() => {
      slot.running = undefined;
      if (slot.again && !closed) {
        slot.again = false;
        schedule(id, slot);
      } else if (!slot.timer) {
        slots.delete(id);
      }
    });
  }

  function schedule(id: string, slot: Slot): void {
    const now = Date.now();
    if (!slot.timer) slot.firstTriggerAt = now;
    if (slot.timer) clearTimeout(slot.timer);
    const wait = Math.max(0, Math.min(opts.delayMs, slot.firstTriggerAt + maxDelayMs - now));
    slot.timer = setTimeout(() => start(id, slot), wait);
  }

  return {
    trigger(id) {
      if (closed) return;
      let slot = slots.get(id);
      if (!slot) {
        slot = { timer: undefined, firstTriggerAt: Date.now(), running: undefined, again: false };
        slots.set(id, slot);
      }
      if (slot.running) slot.again = true;
      else schedule(id, slot);
    },
    async flush() {
      for (const [id, slot] of slots) if (slot.timer) start(id, slot);
      while ([...slots.values()].some((s) => s.running !== undefined || s.timer !== undefined)) {
        for (const [id, slot] of slots) if (slot.timer) start(id, slot);
        await Promise.all(runningOf(slots));
      }
    },
    async close() {
      closed = true;
      for (const slot of slots.values()) {
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = undefined;
        slot.again = false;
      }
      await Promise.all(runningOf(slots));
      slots.clear();
    },
    pending() {
      return [...slots.entries()].filter(([, s]) => s.timer).map(([id]) => id);
    },
  };
}
