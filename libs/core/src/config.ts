/**
 * Configuration from the environment, validated once at start-up. A wrong or missing value
 * throws ConfigError naming the variable and what it expects; entry points print it and exit.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string,
    readonly got: string | undefined,
  ) {
    super(
      got === undefined
        ? `${variable} is not set: expected ${expected}`
        : `${variable} is invalid (${JSON.stringify(redactValue(variable, got))}): expected ${expected}`,
    );
    this.name = 'ConfigError';
  }
}

function redactValue(name: string, value: string): string {
  return /KEY|TOKEN|SECRET|PASSWORD/i.test(name) ? '[redacted]' : value;
}

type Env = Record<string, string | undefined>;

/** Small typed readers so each package can validate the variables it owns, the same way. */
export const env = {
  string(e: Env, name: string, opts: { default?: string; expected?: string } = {}): string {
    const v = e[name];
    if (v === undefined || v === '') {
      if (opts.default !== undefined) return opts.default;
      throw new ConfigError(name, opts.expected ?? 'a non-empty string', undefined);
    }
    return v;
  },
  optionalString(e: Env, name: string): string | undefined {
    const v = e[name];
    return v === undefined || v === '' ? undefined : v;
  },
  int(e: Env, name: string, opts: { default: number; min?: number; max?: number }): number {
    const v = e[name];
    if (v === undefined || v === '') return opts.default;
    const n = Number(v);
    const min = opts.min ?? Number.MIN_SAFE_INTEGER;
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(name, `an integer between ${min} and ${max}`, v);
    }
    return n;
  },
  number(e: Env, name: string, opts: { default: number; min?: number; max?: number }): number {
    const v = e[name];
    if (v === undefined || v === '') return opts.default;
    const n = Number(v);
    const min = opts.min ?? -Infinity;
    const max = opts.max ?? Infinity;
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new ConfigError(name, `a number between ${min} and ${max}`, v);
    }
    return n;
  },
  url(e: Env, name: string, opts: { default?: string; protocols: string[] }): string | undefined {
    const v = e[name];
    if (v === undefined || v === '') return opts.default;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new ConfigError(name, `a URL (${opts.protocols.join(' or ')})`, v.replace(/\/\/[^@/]*@/, '//***@'));
    }
    if (!opts.protocols.includes(u.protocol)) {
      throw new ConfigError(name, `a URL with scheme ${opts.protocols.join(' or ')}`, v.replace(/\/\/[^@/]*@/, '//***@'));
    }
    return v;
  },
  oneOf<T extends string>(e: Env, name: string, values: readonly T[], def: T): T {
    const v = e[name];
    if (v === undefined || v === '') return def;
    if (!(values as readonly string[]).includes(v)) throw new ConfigError(name, `one of ${values.join(', ')}`, v);
    return v as T;
  },
};

export interface IdgraphConfig {
  /** PostgreSQL URL; absent means the embedded PGlite database under dataDir. */
  databaseUrl: string | undefined;
  redisUrl: string;
  /** Directory for the embedded database and the generated local secret key. */
  dataDir: string;
  /** base64url-encoded 32-byte key for secrets at rest; absent means a key file in dataDir. */
  secretKey: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  tenant: string;
  /** BullMQ key prefix of every queue (deployments or tests sharing one Redis keep apart by it). */
  queuePrefix: string;
  /** Largest Okta response body accepted, in bytes (IDGRAPH_MAX_RESPONSE_BYTES). */
  maxResponseBytes: number;
  eventTiming: EventTiming;
  /**
   * Limits on one System Log event, checked as it is decoded (every path: stream, file, polling):
   * IDGRAPH_MAX_EVENT_BYTES and IDGRAPH_MAX_EVENT_DEPTH. Unset ones take @idgraph/normalize's
   * DEFAULT_EVENT_LIMITS (256 KiB, 64 levels).
   */
  eventLimits: { maxEventBytes?: number; maxDepth?: number };
}

/** Okta's largest pages (1000 System Log events, 200 users with profiles) are a few MB; this leaves ample room. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * IDGRAPH_MAX_RESPONSE_BYTES: the cap on one Okta response body. At most 256 MiB because the body
 * is held in memory as one string while it is parsed.
 */
export function maxResponseBytesFromEnv(e: Env = process.env): number {
  return env.int(e, 'IDGRAPH_MAX_RESPONSE_BYTES', { default: DEFAULT_MAX_RESPONSE_BYTES, min: 1024, max: 256 * 1024 * 1024 });
}

/**
 * How System Log event times are trusted against what reads of Okta returned (see
 * libs/graph/src/event-ingest.ts and page-upserts.ts).
 */
export interface EventTiming {
  /**
   * IDGRAPH_EVENT_AMBIGUITY_SECONDS: an event whose `published` lies this close to the last read
   * of its object is not decided by timestamps; the object is re-read instead. Okta's list
   * results trail writes by seconds and Log Streaming delivers late, so within this window a read
   * may or may not reflect the event.
   */
  ambiguityMs: number;
  /**
   * IDGRAPH_EVENT_MAX_FUTURE_SECONDS: an event published later than Okta's clock plus this skew
   * is rejected as invalid (counted and reported, never applied).
   */
  maxFutureMs: number;
}

export const DEFAULT_EVENT_AMBIGUITY_SECONDS = 60;
export const DEFAULT_EVENT_MAX_FUTURE_SECONDS = 300;

export function eventTimingFromEnv(e: Env = process.env): EventTiming {
  return {
    ambiguityMs: env.int(e, 'IDGRAPH_EVENT_AMBIGUITY_SECONDS', { default: DEFAULT_EVENT_AMBIGUITY_SECONDS, min: 0, max: 3600 }) * 1000,
    maxFutureMs: env.int(e, 'IDGRAPH_EVENT_MAX_FUTURE_SECONDS', { default: DEFAULT_EVENT_MAX_FUTURE_SECONDS, min: 0, max: 86_400 }) * 1000,
  };
}

/**
 * Stored events are read back as `raw::jsonb`. EventBridge passes on JSON nested about a thousand levels deep
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html), and
 * PostgreSQL's parser, within its default 2 MB stack, takes several thousand: a limit above 1000
 * is refused so that no accepted event is one PostgreSQL cannot read.
 */
const MAX_EVENT_DEPTH_SETTING = 1000;

export function loadConfig(e: Env = process.env): IdgraphConfig {
  const secretKey = env.optionalString(e, 'IDGRAPH_SECRET_KEY');
  if (secretKey !== undefined && Buffer.from(secretKey, 'base64url').length !== 32) {
    throw new ConfigError('IDGRAPH_SECRET_KEY', '32 random bytes, base64url-encoded (e.g. `openssl rand -base64 32 | tr "+/" "-_" | tr -d "="`)', secretKey);
  }
  return {
    databaseUrl: env.url(e, 'DATABASE_URL', { protocols: ['postgres:', 'postgresql:'] }),
    redisUrl: env.url(e, 'REDIS_URL', { default: 'redis://127.0.0.1:6379', protocols: ['redis:', 'rediss:'] })!,
    dataDir: env.string(e, 'IDGRAPH_DATA_DIR', { default: '.idgraph' }),
    secretKey,
    logLevel: env.oneOf(e, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    tenant: env.string(e, 'IDGRAPH_TENANT', { default: 'default' }),
    queuePrefix: queuePrefix(env.string(e, 'IDGRAPH_QUEUE_PREFIX', { default: 'bull' })),
    maxResponseBytes: maxResponseBytesFromEnv(e),
    eventTiming: eventTimingFromEnv(e),
    eventLimits: {
      ...optionalInt(e, 'IDGRAPH_MAX_EVENT_BYTES', 'maxEventBytes', { min: 1024, max: 1 << 30 }),
      ...optionalInt(e, 'IDGRAPH_MAX_EVENT_DEPTH', 'maxDepth', { min: 4, max: MAX_EVENT_DEPTH_SETTING }),
    },
  };
}

/** `{[key]: n}` when variable `name` is set (validated like env.int), else `{}`. */
function optionalInt<K extends string>(e: Env, name: string, key: K, range: { min: number; max: number }): Partial<Record<K, number>> {
  if (e[name] === undefined || e[name] === '') return {};
  return { [key]: env.int(e, name, { default: 0, ...range }) } as Partial<Record<K, number>>;
}

function queuePrefix(v: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(v)) throw new ConfigError('IDGRAPH_QUEUE_PREFIX', "letters, digits, '_', '.', '-' (at most 64)", v);
  return v;
}
