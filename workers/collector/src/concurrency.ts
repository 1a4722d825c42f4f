/**
 * Small streaming concurrency helpers. Both pull from their source lazily, so a collector walking
 * 100k users never holds more than a window of them in memory, and both stop starting new work
 * once the signal is aborted (work in flight finishes: "finish the page in hand").
 */

/** Calls `fn` on every item with at most `concurrency` calls in flight; rejects with the first error. */
export async function forEachConcurrent<T>(
  source: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const iterator = toAsyncIterator(source);
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null) {
      signal?.throwIfAborted();
      const next = await iterator.next();
      if (next.done) return;
      await fn(next.value);
    }
  };
  const workers = Array.from({ length: Math.max(1, concurrency) }, () =>
    worker().catch((error: unknown) => {
      failure ??= { error };
    }),
  );
  await Promise.all(workers);
  if (failure !== null) throw (failure as { error: unknown }).error;
}

/**
 * Maps items with at most `concurrency` calls in flight and yields the results in input order
 * (a checkpoint "everything up to item N is done" needs order). A failed item throws when its
 * turn comes; the others in flight are awaited so nothing rejects unobserved. On abort it stops
 * starting work and ends after the results in flight: the caller commits them, then checks the signal.
 */
export async function* mapOrdered<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<R>,
  signal?: AbortSignal,
): AsyncGenerator<{ item: T; result: R }> {
  const iterator = toAsyncIterator(source);
  const window: { item: T; result: Promise<R> }[] = [];
  let exhausted = false;
  const fill = async (): Promise<void> => {
    while (!exhausted && window.length < Math.max(1, concurrency) && !signal?.aborted) {
      const next = await iterator.next();
      if (next.done) {
        exhausted = true;
        return;
      }
      const result = fn(next.value);
      result.catch(() => undefined); // observed when its turn comes
      window.push({ item: next.value, result });
    }
  };
  try {
    await fill();
    while (window.length > 0) {
      const head = window.shift()!;
      const result = await head.result;
      await fill();
      yield { item: head.item, result };
    }
  } finally {
    await Promise.allSettled(window.map((w) => w.result));
  }
}

/** Groups a stream into arrays of up to `size` items. */
export async function* chunks<T>(source: AsyncIterable<T> | Iterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of source) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

function toAsyncIterator<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const it = (source as Iterable<T>)[Symbol.iterator]();
  return { next: async () => it.next() };
}
