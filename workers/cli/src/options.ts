import { InvalidArgumentError } from 'commander';

/** A commander parser for integer options with bounds; bad values are usage errors (exit 2). */
export function intOption(name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} expects an integer between ${min} and ${max}, got "${value}".`);
    }
    return n;
  };
}

export function listOption(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}
