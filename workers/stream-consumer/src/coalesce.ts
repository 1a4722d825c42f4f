/**
 * Group commit: batches handed in while earlier ones are being committed wait and are then
 * committed together, in one call of the underlying handler (one database transaction). Every
 * poller gets the outcome of the commit that carried its items, so a failure still leaves each
 * poller's messages on the queue. Fewer, larger transactions: the round trips per event shrink as
 * the load grows, and a quiet stream still commits each batch at once.
 */
export interface CoalesceOptions {
  /** Items per merged call at most (a single batch larger than this still goes alone). Default 200. */
  maxItems?: number;
  /** Merged calls running at once. Default 2. */
  maxConcurrent?: number;
}

interface Waiting<T> {
  items: T[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function coalesceBatches<T>(handle: (items: T[]) => Promise<void>, opts: CoalesceOptions = {}): (items: T[]) => Promise<void> {
  const maxItems = opts.maxItems ?? 200;
  const maxConcurrent = opts.maxConcurrent ?? 2;
  if (!Number.isInteger(maxItems) || maxItems < 1) throw new Error(`coalesceBatches: maxItems must be an integer ≥ 1, got ${maxItems}`);
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw new Error(`coalesceBatches: maxConcurrent must be an integer ≥ 1, got ${maxConcurrent}`);
  }
  const waiting: Waiting<T>[] = [];
  let running = 0;

  const takeGroup = (): Waiting<T>[] => {
    const group: Waiting<T>[] = [];
    let size = 0;
    while (waiting.length > 0) {
      const next = waiting[0]!;
      if (group.length > 0 && size + next.items.length > maxItems) break;
      group.push(waiting.shift()!);
      size += next.items.length;
    }
    return group;
  };

  const pump = (): void => {
    while (running < maxConcurrent && waiting.length > 0) {
      const group = takeGroup();
      running += 1;
      handle(group.flatMap((w) => w.items)).then(
        () => group.forEach((w) => w.resolve()),
        (err: unknown) => group.forEach((w) => w.reject(err)),
      ).finally(() => {
        running -= 1;
        pump();
      });
    }
  };

  return (items) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ items, resolve, reject });
      pump();
    });
}
