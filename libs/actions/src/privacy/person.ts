/**
 * Who a privacy request is about: the users whose login, email or secondary email equals the
 * address (case-insensitively), in every integration, and the strings that identify them.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '@idgraph/graph';

export class PrivacyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrivacyInputError';
  }
}

export interface MatchedUser {
  integrationId: string;
  userId: string;
  status: string;
  login: string | null;
  email: string | null;
  secondEmail: string | null;
  firstName: string | null;
  lastName: string | null;
}

export interface Person {
  /** The address, trimmed and lower-cased. */
  address: string;
  users: MatchedUser[];
  /**
   * Lower-cased strings that identify the person in free text and JSON: the address, every
   * matched login, email and secondary email, and "First Last".
   */
  needles: string[];
  /** Okta user ids of the person, by integration. */
  idsByIntegration: Map<string, string[]>;
}

export function normalizeAddress(raw: string): string {
  const address = (raw ?? '').trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(address) || address.length > 320) {
    throw new PrivacyInputError(`--email "${raw}" is not an email address: give the address the person is known by (login, email or secondary email)`);
  }
  return address;
}

/** sha256(salt ":" address), hex: proves an erasure without keeping the address. */
export function addressHash(salt: string, address: string): string {
  return createHash('sha256').update(`${salt}:${address.trim().toLowerCase()}`).digest('hex');
}

export async function identifyPerson(exec: Executor, tenant: string, rawAddress: string): Promise<Person> {
  const address = normalizeAddress(rawAddress);
  // Tombstoned rows count too: they are still stored data about the person.
  const users = await exec.rows<{ integration_id: string; okta_id: string; status: string; login: string | null; email: string | null; second_email: string | null; first_name: string | null; last_name: string | null }>(sql`
    SELECT integration_id::text AS integration_id, okta_id, status, login, email, raw->'profile'->>'secondEmail' AS second_email, first_name, last_name
    FROM users
    WHERE tenant_id = ${tenant}
      AND (lower(login) = ${address} OR lower(email) = ${address} OR lower(raw->'profile'->>'secondEmail') = ${address})
    ORDER BY integration_id, okta_id`);
  const matched: MatchedUser[] = users.map((u) => ({
    integrationId: u.integration_id,
    userId: u.okta_id,
    status: u.status,
    login: u.login,
    email: u.email,
    secondEmail: u.second_email,
    firstName: u.first_name,
    lastName: u.last_name,
  }));
  const needles = new Set<string>([address]);
  for (const u of matched) {
    for (const v of [u.login, u.email, u.secondEmail]) if (v && v.trim()) needles.add(v.trim().toLowerCase());
    const name = [u.firstName, u.lastName].filter((x) => x && x.trim()).join(' ').trim();
    // A lone first or last name is shared with other people; the full name identifies this one.
    if (name.includes(' ')) needles.add(name.toLowerCase());
  }
  const idsByIntegration = new Map<string, string[]>();
  for (const u of matched) idsByIntegration.set(u.integrationId, [...(idsByIntegration.get(u.integrationId) ?? []), u.userId]);
  return { address, users: matched, needles: [...needles], idsByIntegration };
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\]/g;

/** A case-insensitive regular expression matching any needle, for JavaScript and for PostgreSQL `~*`. */
export function needlePattern(needles: readonly string[]): string {
  return needles.map((n) => n.replace(REGEX_SPECIAL, '\\$&')).join('|');
}

/** Replaces every needle in every string of a JSON value (keys included). */
export function scrubJson(value: unknown, pattern: RegExp): unknown {
  if (typeof value === 'string') return value.replace(pattern, ERASED);
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, pattern));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k.replace(pattern, ERASED)] = scrubJson(v, pattern);
    return out;
  }
  return value;
}

export const ERASED = '[erased]';
