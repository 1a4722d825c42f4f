/**
 * The action audit: one row per attempt (dry run, applied, refused, failed), appended and never
 * changed — the database rejects UPDATE, DELETE and TRUNCATE on the table (migration 0005).
 */
import { and, desc, eq, type SQL } from 'drizzle-orm';
import { schema, type GraphStore } from '@idgraph/graph';
import type { OktaRequest } from './catalog.js';

export type AuditOutcome = schema.ActionOutcome;

/** Okta's answer to one request, as kept in the audit (no bodies: they may carry profile data). */
export interface OktaAnswer {
  method: string;
  path: string;
  /** HTTP status, 0 when no answer arrived. */
  status: number;
  errorCode?: string;
  errorSummary?: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  requestedBy: string;
  integrationId: string | null;
  integration: string;
  action: string;
  subject: string;
  target: string | null;
  resourceSet: string | null;
  applied: boolean;
  outcome: AuditOutcome;
  requests: OktaRequest[];
  response: OktaAnswer[] | null;
  message: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'>;

export async function appendAudit(store: GraphStore, entry: NewAuditEntry): Promise<AuditEntry> {
  const t = schema.actionAudit;
  const [row] = await store.gdb.db
    .insert(t)
    .values({
      tenantId: store.tenant,
      requestedBy: entry.requestedBy,
      integrationId: entry.integrationId,
      integrationName: entry.integration,
      action: entry.action,
      subject: entry.subject,
      target: entry.target,
      resourceSet: entry.resourceSet,
      applied: entry.applied,
      outcome: entry.outcome,
      requests: entry.requests,
      response: entry.response,
      message: entry.message,
    })
    .returning({ id: t.id, at: t.at });
  return { ...entry, id: row!.id, at: row!.at.toISOString() };
}

export interface AuditQuery {
  /** An integration's name: only its attempts. */
  integration?: string;
  /** Newest first; default 100, at most 10 000. */
  limit?: number;
}

/** The tenant's audit, newest first. */
export async function listAudit(store: GraphStore, query: AuditQuery = {}): Promise<AuditEntry[]> {
  const t = schema.actionAudit;
  const limit = query.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RangeError(`limit must be an integer from 1 to 10000, got ${limit}`);
  const where: SQL[] = [eq(t.tenantId, store.tenant)];
  if (query.integration) where.push(eq(t.integrationName, query.integration));
  const rows = await store.gdb.db
    .select()
    .from(t)
    .where(and(...where))
    .orderBy(desc(t.at), desc(t.id))
    .limit(limit);
  return rows.map((r) => ({
    id: r.id,
    at: r.at.toISOString(),
    requestedBy: r.requestedBy,
    integrationId: r.integrationId,
    integration: r.integrationName,
    action: r.action,
    subject: r.subject,
    target: r.target,
    resourceSet: r.resourceSet,
    applied: r.applied,
    outcome: r.outcome,
    requests: r.requests as OktaRequest[],
    response: (r.response as OktaAnswer[] | null) ?? null,
    message: r.message,
  }));
}
