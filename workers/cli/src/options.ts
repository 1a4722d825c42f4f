import { InvalidArgumentError } from 'commander';

/** A commander parser for integer options with bounds; bad values are usage errors (exit 2). */
export function intOption(name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `between ${min} and ${max}`;
      throw new InvalidArgumentError(`${name} expects a whole number ${range}, got "${value}".`);
    }
    return n;
  };
}

/**
 * A commander parser for decimal options: a plain number (no hex, no exponent, no "Infinity")
 * above `min` (exclusive) and at most `max`; bad values are usage errors (exit 2).
 */
export function numberOption(name: string, opts: { above: number; max: number; example: string }) {
  return (value: string): number => {
    const n = /^\s*\d+(\.\d+)?\s*$|^\s*\.\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isFinite(n) || n <= opts.above || n > opts.max) {
      throw new InvalidArgumentError(`${name} expects a number greater than ${opts.above} and at most ${opts.max} (e.g. ${opts.example}), got "${value}".`);
    }
    return n;
  };
}

export function listOption(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}
