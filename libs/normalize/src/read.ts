/**
 * Defensive readers for Okta JSON. Inputs come off the network, so every field the normalizers
 * depend on is checked at runtime; a bad value becomes a NormalizeError that names the object,
 * the field and what was expected.
 */

/** Raised when an Okta object cannot be turned into a graph row. */
export class NormalizeError extends Error {
  override readonly name = 'NormalizeError';
  constructor(
    message: string,
    /** Dotted path of the offending field, e.g. `user.profile.login`. */
    readonly field: string,
  ) {
    super(message);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Describes the object in error messages: `Okta user 00u…` or `Okta user (no id)`. */
export function describe(kind: string, id: unknown): string {
  return typeof id === 'string' && id !== '' ? `Okta ${kind} ${id}` : `Okta ${kind} (no id)`;
}

export function requireObject(value: unknown, kind: string): Record<string, unknown> {
  if (!isRecord(value)) {
    throw new NormalizeError(
      `Expected an Okta ${kind} object but got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}; pass one element of the API response body`,
      kind,
    );
  }
  return value;
}

export function requireString(obj: Record<string, unknown>, key: string, kind: string, hint = 'a non-empty string'): string {
  const value = obj[key];
  if (typeof value !== 'string' || value === '') {
    throw new NormalizeError(`${describe(kind, obj['id'])} has no usable \`${key}\` (expected ${hint}, got ${JSON.stringify(value) ?? 'undefined'})`, `${kind}.${key}`);
  }
  return value;
}

/** An optional string field: absent or null → null; any other non-string → error. */
export function optionalString(obj: Record<string, unknown> | undefined, key: string, kind: string, path = key): string | null {
  const value = obj?.[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    throw new NormalizeError(`${describe(kind, obj?.['id'])} has a non-string \`${path}\` (${JSON.stringify(value)}); expected a string or null`, `${kind}.${path}`);
  }
  return value;
}

/** A nested object field: absent or null → undefined; a non-object → error. */
export function optionalObject(obj: Record<string, unknown> | undefined, key: string, kind: string, path = key): Record<string, unknown> | undefined {
  const value = obj?.[key];
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) {
    throw new NormalizeError(`${describe(kind, obj?.['id'])} has a non-object \`${path}\` (${JSON.stringify(value)})`, `${kind}.${path}`);
  }
  return value;
}

/**
 * Okta times are ISO-8601 in UTC with milliseconds (`2026-03-02T12:45:56.000Z`). An offset form is
 * accepted too; anything else (for instance `2024-05-02 18:46:21.121000000`) is rejected rather than
 * handed to Date's lenient parser, which would read it in local time.
 */
const ISO_8601_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** Okta's own form, `YYYY-MM-DDTHH:MM:SS.mmmZ`: what nearly every time looks like. */
const OKTA_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export function parseIsoTime(value: string): Date | null {
  // Fast path for Okta's form: Date reads it as UTC, and it is a real time exactly when it prints
  // back unchanged (Date rolls 02-30 over to 03-02); anything else takes the full check below.
  if (OKTA_TIME.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime()) && date.toISOString() === value) return date;
  }
  const m = ISO_8601_TIME.exec(value);
  if (!m) return null;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, offsetHour = 0, offsetMinute = 0] = m
    .slice(1)
    .map((part) => (part === undefined ? 0 : Number(part)));
  // Date would roll 2023-02-30 over to March 2; a time Okta cannot have sent is rejected instead.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  if (hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function optionalTime(obj: Record<string, unknown>, key: string, kind: string): Date | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  const date = typeof value === 'string' ? parseIsoTime(value) : null;
  if (!date) {
    throw new NormalizeError(`${describe(kind, obj['id'])} has an invalid \`${key}\` (${JSON.stringify(value)}); expected an ISO-8601 time like 2026-03-02T12:45:56.000Z`, `${kind}.${key}`);
  }
  return date;
}

/**
 * The Okta-side time of an object's state: its `lastUpdated`, or when Okta gave none, the time the
 * response was fetched. Without either the row could overwrite newer state, so that is an error.
 */
export function sourceTime(obj: Record<string, unknown>, kind: string, fetchedAt: Date | undefined): Date {
  const lastUpdated = optionalTime(obj, 'lastUpdated', kind);
  if (lastUpdated) return lastUpdated;
  if (fetchedAt) return requireValidDate(fetchedAt, 'fetchedAt');
  throw new NormalizeError(`${describe(kind, obj['id'])} has no \`lastUpdated\`; pass fetchedAt (the response's Date) so the row has a source time`, `${kind}.lastUpdated`);
}

export function requireValidDate(value: Date, name: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new NormalizeError(`\`${name}\` must be a valid Date (got ${String(value)})`, name);
  }
  return value;
}

export function requireId(value: string, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new NormalizeError(`\`${name}\` must be a non-empty Okta id (got ${JSON.stringify(value) ?? 'undefined'})`, name);
  }
  return value;
}
