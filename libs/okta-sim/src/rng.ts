/**
 * Seeded randomness and Okta-like identifiers. Everything the simulator generates flows from
 * these, so the same seed always yields the same org.
 */

/** mulberry32: tiny, fast, good enough for synthetic data (not for anything secret). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = (seed ^ 0x9e3779b9) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick called with an empty list');
    return items[this.int(items.length)] as T;
  }

  /** Picks a key with probability proportional to its weight. */
  weighted<T extends string>(weights: Readonly<Record<T, number>>): T {
    const entries = Object.entries(weights) as [T, number][];
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [key, w] of entries) {
      r -= w;
      if (r < 0) return key;
    }
    return (entries[entries.length - 1] as [T, number])[0];
  }

  hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += HEX[this.int(16)];
    return out;
  }

  /** A UUID-shaped string (version nibble 1, like Okta's System Log uuids). */
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-1${this.hex(3)}-${'89ab'[this.int(4)]}${this.hex(3)}-${this.hex(12)}`;
  }

  /** URL-safe random characters (request ids, transaction ids, tokens). */
  token(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += URL_SAFE[this.int(URL_SAFE.length)];
    return out;
  }
}

const HEX = '0123456789abcdef';
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Base62 in ASCII order, so a counter encoded with fixed width sorts like the number. */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62Fixed(n: number, width: number): string {
  let out = '';
  let v = n;
  for (let i = 0; i < width; i++) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out;
}

/**
 * Okta-style 20-character ids: a 3-character prefix (00u users, 00g groups, 0oa apps, …), then
 * a fixed-width counter so ids of one kind sort in creation order (the simulator pages by id),
 * random filler, and a 3-character org cell suffix shared by every id of the org (as Okta does).
 */
export class IdFactory {
  private readonly counters = new Map<string, number>();
  readonly cellSuffix: string;

  constructor(private readonly rng: Rng) {
    this.cellSuffix = `${rng.int(10)}${'abcdefghijklmnopqrstuvwxyz'[rng.int(26)]}${rng.int(10)}`;
  }

  next(prefix: string): string {
    if (prefix.length !== 3) throw new Error(`Okta id prefix must have 3 characters, got "${prefix}"`);
    const n = this.counters.get(prefix) ?? 0;
    this.counters.set(prefix, n + 1);
    let filler = '';
    for (let i = 0; i < 7; i++) filler += BASE62[this.rng.int(62)];
    return `${prefix}${base62Fixed(n, 7)}${filler}${this.cellSuffix}`;
  }
}
