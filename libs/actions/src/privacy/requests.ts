/**
 * Privacy requests identified by an email address: access (everything held about the person)
 * and erasure (remove it, and keep a record that proves it without keeping the address).
 */
import { randomBytes } from 'node:crypto';
import { and, desc, eq, sql } from 'drizzle-orm';
import { executorOf, schema, type GraphStore } from '@idgraph/graph';
import { runAction, type ActionContext, type ActionResponse } from '../run.js';
import { addressHash, identifyPerson, type MatchedUser, type Person } from './person.js';
import { findMentions, PERSONAL_DATA_SOURCES, sweepMentions, type Row } from './sources.js';

/** `POST /api/v1/privacy/access` body. */
export interface PrivacyAccessRequest {
  email: string;
}

export interface MatchedPerson {
  integration: string;
  integrationId: string;
  userId: string;
  login: string | null;
  status: string;
}

/** `idgraph privacy access --json` and the response of `POST /api/v1/privacy/access`. */
export interface PrivacyAccessResult {
  email: string;
  /** The users the address matched (login, email or secondary email), across integrations. */
  matched: MatchedPerson[];
  /** Rows per personal-data source, plus `mentions`: rows elsewhere naming the person ({table, column, row}). */
  sources: Record<string, Row[]>;
  counts: Record<string, number>;
}

/** `POST /api/v1/privacy/erase` body. */
export interface PrivacyEraseRequest {
  email: string;
  /** Also deactivate and delete the person in Okta, as audited actions. */
  inOkta?: boolean;
  /** With inOkta: false (default) = dry run of everything, nothing is changed. */
  apply?: boolean;
}

/** `idgraph privacy erase --json` and the response of `POST /api/v1/privacy/erase`. */
export interface PrivacyEraseResult {
  /** False for the dry run of an --in-okta request, or when an Okta action did not succeed. */
  erased: boolean;
  /** The erasure record (null when nothing was erased). */
  erasureId: string | null;
  at: string;
  /** sha256(salt ":" address) as recorded. */
  addressHash: string | null;
  /** How many users the address matched. */
  matched: number;
  /** Rows removed or scrubbed per source (what would be, for a dry run). */
  counts: Record<string, number>;
  /** The Okta actions of --in-okta, in order. */
  inOkta: ActionResponse[];
  message: string;
}

export interface ErasureRecord {
  id: string;
  at: string;
  requestedBy: string;
  addressHash: string;
  counts: Record<string, number>;
  inOkta: unknown;
  /**
   * Whether a collection has since seen the person again (a user first seen after the erasure
   * whose login, email or secondary email hashes to the recorded address), and where.
   */
  recollected: { users: number; integrations: string[]; firstSeenAt: string } | null;
}

async function integrationNames(store: GraphStore): Promise<Map<string, string>> {
  return new Map((await store.listIntegrations()).map((i) => [i.id, i.name]));
}

function matchedPeople(users: MatchedUser[], names: Map<string, string>): MatchedPerson[] {
  return users.map((u) => ({ integration: names.get(u.integrationId) ?? u.integrationId, integrationId: u.integrationId, userId: u.userId, login: u.login, status: u.status }));
}

const SOURCE_TABLES = new Set(['users', 'group_memberships', 'app_user_assignments', 'factors', 'role_assignments', 'log_events', 'findings']);

export async function privacyAccess(store: GraphStore, req: PrivacyAccessRequest): Promise<PrivacyAccessResult> {
  const exec = executorOf(store.gdb.db);
  const person = await identifyPerson(exec, store.tenant, req.email);
  const sources: Record<string, Row[]> = {};
  for (const source of PERSONAL_DATA_SOURCES) sources[source.name] = await source.find(exec, store.tenant, person);
  sources.mentions = await findMentions(exec, store.tenant, person, SOURCE_TABLES);
  return {
    email: person.address,
    matched: matchedPeople(person.users, await integrationNames(store)),
    sources,
    counts: Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, v.length])),
  };
}

/**
 * Erases the person from the store in one transaction and records the erasure. With `inOkta`, the
 * person is first deactivated (unless already) and deleted in every org that has them, through
 * `runAction` (audited); without `apply` that is a dry run and nothing is erased either, so the
 * request can be repeated with --apply (after an erasure the address would match nobody).
 */
export async function privacyErase(ctx: ActionContext, req: PrivacyEraseRequest): Promise<PrivacyEraseResult> {
  const store = ctx.store;
  const exec = executorOf(store.gdb.db);
  const person = await identifyPerson(exec, store.tenant, req.email);
  const inOkta: ActionResponse[] = [];
  const at = new Date().toISOString();
  const base = { at, matched: person.users.length, inOkta };

  if (req.inOkta) {
    const names = await integrationNames(store);
    const dry = req.apply !== true;
    let stopped: string | null = null;
    for (const u of person.users) {
      const integration = names.get(u.integrationId);
      if (!integration || stopped) continue;
      const steps = u.status === 'DEPROVISIONED' ? (['delete-user'] as const) : (['deactivate', 'delete-user'] as const);
      for (const action of steps) {
        const response = await runAction(ctx, { action, integration, subject: `user:${u.userId}`, apply: !dry });
        inOkta.push(response);
        if (response.result.outcome !== (dry ? 'dry-run' : 'applied')) {
          stopped = `${action} of user ${u.userId} in ${integration}: ${response.result.message}`;
          break;
        }
        // A dry run deactivates nothing, so delete-user's look-up would find the user not yet
        // DEPROVISIONED: the dry run stops at deactivate (delete-user follows it with --apply).
        if (dry && action === 'deactivate') break;
      }
    }
    if (stopped) return { ...base, erased: false, erasureId: null, addressHash: null, counts: await countOnly(exec, store.tenant, person), message: `not erased: ${stopped}` };
    if (dry) {
      return { ...base, erased: false, erasureId: null, addressHash: null, counts: await countOnly(exec, store.tenant, person), message: 'dry run: nothing was changed in Okta or in the store; run again with --apply' };
    }
  }

  const salt = randomBytes(16).toString('hex');
  const hash = addressHash(salt, person.address);
  const record = await exec.tx(async (tx) => {
    const counts: Record<string, number> = {};
    for (const source of PERSONAL_DATA_SOURCES) counts[source.name] = await source.erase(tx, store.tenant, person);
    const mentions = await sweepMentions(tx, store.tenant, person);
    counts.mentions = Object.values(mentions).reduce((n, v) => n + v, 0);
    const [row] = await tx.db
      .insert(schema.privacyErasures)
      .values({
        tenantId: store.tenant,
        requestedBy: ctx.requestedBy,
        addressHash: hash,
        salt,
        counts,
        inOkta: req.inOkta ? inOkta.map((r) => ({ action: r.action, subject: r.subject, outcome: r.result.outcome, auditId: r.result.auditId })) : null,
      })
      .returning({ id: schema.privacyErasures.id, at: schema.privacyErasures.at });
    return { id: row!.id, at: row!.at.toISOString(), counts };
  });
  ctx.logger?.info({ erasureId: record.id, counts: record.counts }, 'privacy erasure recorded');
  return {
    ...base,
    at: record.at,
    erased: true,
    erasureId: record.id,
    addressHash: hash,
    counts: record.counts,
    message: person.users.length || Object.values(record.counts).some((n) => n > 0) ? 'erased' : 'nothing held about this address; the request is recorded',
  };
}

/** What an erasure would remove, without removing it. */
async function countOnly(exec: ReturnType<typeof executorOf>, tenant: string, person: Person): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const source of PERSONAL_DATA_SOURCES) counts[source.name] = (await source.find(exec, tenant, person)).length;
  counts.mentions = (await findMentions(exec, tenant, person, SOURCE_TABLES)).length;
  return counts;
}

/** The tenant's erasure records, newest first, each saying whether the person has been collected again. */
export async function listErasures(store: GraphStore, opts: { limit?: number } = {}): Promise<ErasureRecord[]> {
  const t = schema.privacyErasures;
  const rows = await store.gdb.db.select().from(t).where(and(eq(t.tenantId, store.tenant))).orderBy(desc(t.at)).limit(opts.limit ?? 100);
  if (!rows.length) return [];
  const since = rows.reduce((min, r) => (r.at < min ? r.at : min), rows[0]!.at);
  // Only users first seen after the oldest erasure can be the person collected again: few rows.
  const fresh = await store.gdb.execute<{ integration_id: string; first_seen_at: string; login: string | null; email: string | null; second_email: string | null }>(sql`
    SELECT integration_id::text AS integration_id, first_seen_at::text AS first_seen_at, login, email, raw->'profile'->>'secondEmail' AS second_email
    FROM users WHERE tenant_id = ${store.tenant} AND first_seen_at > ${since.toISOString()}::timestamptz`);
  const names = await integrationNames(store);
  return rows.map((r) => {
    const seen = fresh.filter(
      (u) => new Date(u.first_seen_at) > r.at && [u.login, u.email, u.second_email].some((v) => v && addressHash(r.salt, v) === r.addressHash),
    );
    return {
      id: r.id,
      at: r.at.toISOString(),
      requestedBy: r.requestedBy,
      addressHash: r.addressHash,
      counts: r.counts as Record<string, number>,
      inOkta: r.inOkta ?? null,
      recollected: seen.length
        ? {
            users: seen.length,
            integrations: [...new Set(seen.map((u) => names.get(u.integration_id) ?? u.integration_id))],
            firstSeenAt: new Date(Math.min(...seen.map((u) => Date.parse(u.first_seen_at)))).toISOString(),
          }
        : null,
    };
  });
}
