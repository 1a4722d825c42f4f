/**
 * Streams the output of a generator that reads inside one REPEATABLE READ, READ ONLY
 * transaction, so a long export sees one consistent state of the graph while collectors and
 * the stream consumer keep writing. The transaction callback and the consumer run side by side;
 * a one-slot hand-off of batches gives back-pressure (the reader waits for the consumer).
 */
import type { GraphDrizzle } from './db.js';
import { executorOf, type Executor } from './executor.js';

const HANDOFF_BATCH = 500;

class ConsumerGone extends Error {}

type Slot<T> = { kind: 'items'; items: T[] } | { kind: 'end' } | { kind: 'error'; error: unknown };

/** One-slot channel between the transaction (producer) and the async generator (consumer). */
class Handoff<T> {
  private pending: Slot<T> | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: ((accepted: boolean) => void) | undefined;
  private cancelled = false;

  /** Resolves true once the consumer took the items, false if it went away. */
  put(slot: Slot<T>): Promise<boolean> {
    if (this.cancelled) return Promise.resolve(false);
    this.pending = slot;
    this.wakeConsumer?.();
    return new Promise((resolve) => {
      this.wakeProducer = resolve;
    });
  }

  async take(): Promise<Slot<T>> {
    while (!this.pending) {
      await new Promise<void>((resolve) => {
        this.wakeConsumer = resolve;
      });
    }
    const slot = this.pending;
    this.pending = undefined;
    this.wakeConsumer = undefined;
    const wake = this.wakeProducer;
    this.wakeProducer = undefined;
    wake?.(true);
    return slot;
  }

  cancel(): void {
    this.cancelled = true;
    this.wakeProducer?.(false);
    this.wakeProducer = undefined;
  }
}

export async function* readInSnapshot<T>(db: GraphDrizzle, produce: (exec: Executor) => AsyncIterable<T>): AsyncGenerator<T> {
  const handoff = new Handoff<T>();
  const send = async (slot: Slot<T>) => {
    if (!(await handoff.put(slot))) throw new ConsumerGone();
  };
  const transaction = db
    .transaction(
      async (tx) => {
        let batch: T[] = [];
        for await (const item of produce(executorOf(tx as unknown as GraphDrizzle, true))) {
          batch.push(item);
          if (batch.length >= HANDOFF_BATCH) {
            await send({ kind: 'items', items: batch });
            batch = [];
          }
        }
        if (batch.length) await send({ kind: 'items', items: batch });
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    )
    .then(
      () => handoff.put({ kind: 'end' }),
      (error: unknown) => (error instanceof ConsumerGone ? false : handoff.put({ kind: 'error', error })),
    );
  try {
    for (;;) {
      const slot = await handoff.take();
      if (slot.kind === 'end') return;
      if (slot.kind === 'error') throw slot.error;
      yield* slot.items;
    }
  } finally {
    // The consumer stopped (or finished): release the producer so the transaction ends.
    handoff.cancel();
    await transaction;
  }
}
