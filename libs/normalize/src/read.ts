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

/** Layout of Okta's own form, `YYYY-MM-DDTHH:MM:SS.mmmZ`: what nearly every time looks like. */
const OKTA_TIME_LAYOUT = '0000-00-00T00:00:00.000Z';

const OKTA_TIME_SEPARATORS = [4, 7, 10, 13, 16, 19, 23] as const;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** The digits value[from, from + count) as a number, or -1 when one is not a digit. */
function digitsAt(value: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Okta's own form read digit by digit (every event has one, so this is on the ingest hot path); null when it is not that form. */
function parseOktaTime(value: string): Date | null {
  if (value.length !== OKTA_TIME_LAYOUT.length) return null;
  for (const at of OKTA_TIME_SEPARATORS) if (value.charCodeAt(at) !== OKTA_TIME_LAYOUT.charCodeAt(at)) return null;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  const second = digitsAt(value, 17, 2);
  const ms = digitsAt(value, 20, 3);
  // Date.UTC reads years 0-99 as 1900-1999: those take the general path.
  if (year < 100 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return null;
  if (second < 0 || second > 59 || ms < 0 || day > daysInMonth(year, month)) return null;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
}

export function parseIsoTime(value: string): Date | null {
  const okta = parseOktaTime(value);
  if (okta) return okta;
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
