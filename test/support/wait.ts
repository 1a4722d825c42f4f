/**
 * Waiting in tests: poll a condition instead of sleeping a fixed time (a fixed sleep is either
 * too short on a busy machine or wasted time on an idle one).
 */
import { sleep } from '@idgraph/core';

/**
 * Polls `check` every `everyMs` until it returns a truthy value, and returns that value. A check
 * that throws counts as "not yet" (a server still starting); on timeout the error names `what`,
 * the time waited and the check's last error.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() - started > timeoutMs) {
      const cause = lastError === undefined ? '' : ` (last check failed: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(everyMs);
  }
}

/** Fisher–Yates with a seeded generator, so a failing order can be reproduced from its seed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  const next = (): number => {
    // xorshift32
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
