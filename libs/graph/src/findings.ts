/** Posture findings that open, persist, resolve and reopen over time. */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from './executor.js';
import { jsonParam } from './executor.js';
import * as schema from './schema.js';

export interface CurrentFinding {
  /** 'user:00u…', 'app:0oa…' */
  subject: string;
  severity: string;
  details: unknown;
}

export interface Finding extends CurrentFinding {
  integrationId: string;
  checkId: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
  resolvedAt: Date | null;
}

export interface FindingsSync {
  opened: number;
  persisting: number;
  reopened: number;
  resolved: number;
}

export class FindingRepo {
  constructor(
    private readonly exec: Executor,
    private readonly tenantId: string,
  ) {}

  /**
   * Makes the stored findings of one check match `current`: new subjects open, present ones
   * get last_seen_at = at, absent open ones resolve, resolved ones that came back reopen
   * (first_seen_at restarts at `at`: it is a new occurrence).
   */
  async sync(integrationId: string, checkId: string, current: readonly CurrentFinding[], at: Date): Promise<FindingsSync> {
    const bySubject = new Map<string, CurrentFinding>();
    for (const f of current) {
      if (typeof f.subject !== 'string' || !f.subject) throw new Error(`syncFindings(${checkId}): every finding needs a subject like "user:00u…"`);
      bySubject.set(f.subject, f);
    }
    return this.exec.tx(async (tx) => {
      const f = schema.findings;
      const existing = await tx.db
        .select({ subject: f.subject, resolvedAt: f.resolvedAt })
        .from(f)
        .where(and(eq(f.tenantId, this.tenantId), eq(f.integrationId, integrationId), eq(f.checkId, checkId)));
      const known = new Map(existing.map((e) => [e.subject, e.resolvedAt]));
      const result: FindingsSync = { opened: 0, persisting: 0, reopened: 0, resolved: 0 };
      for (const subject of bySubject.keys()) {
        if (!known.has(subject)) result.opened++;
        else if (known.get(subject) === null) result.persisting++;
        else result.reopened++;
      }
      if (bySubject.size) {
        const payload = [...bySubject.values()].map((x) => ({ subject: x.subject, severity: x.severity, details: x.details ?? null }));
        await tx.rows(sql`
          INSERT INTO "findings" AS t ("tenant_id", "integration_id", "check_id", "subject", "severity", "details",
            "first_seen_at", "last_seen_at", "resolved_at")
          SELECT ${this.tenantId}, ${integrationId}::uuid, ${checkId}, x.subject, x.severity, x.details,
            ${at.toISOString()}::timestamptz, ${at.toISOString()}::timestamptz, NULL
          FROM jsonb_to_recordset(${jsonParam(payload)}::text::jsonb) AS x(subject text, severity text, details jsonb)
          ON CONFLICT ("tenant_id", "integration_id", "check_id", "subject") DO UPDATE SET
            "severity" = excluded."severity", "details" = excluded."details", "last_seen_at" = excluded."last_seen_at",
            "first_seen_at" = CASE WHEN t."resolved_at" IS NULL THEN t."first_seen_at" ELSE excluded."first_seen_at" END,
            "resolved_at" = NULL`);
      }
      const gone = existing.filter((e) => e.resolvedAt === null && !bySubject.has(e.subject)).map((e) => e.subject);
      if (gone.length) {
        await tx.rows(sql`
          UPDATE "findings" SET "resolved_at" = ${at.toISOString()}::timestamptz
          WHERE "tenant_id" = ${this.tenantId} AND "integration_id" = ${integrationId}::uuid AND "check_id" = ${checkId}
            AND "resolved_at" IS NULL
            AND "subject" IN (SELECT jsonb_array_elements_text(${jsonParam(gone)}::text::jsonb))`);
      }
      result.resolved = gone.length;
      return result;
    });
  }

  async list(integrationId: string | undefined, opts: { openOnly?: boolean } = {}): Promise<Finding[]> {
    const f = schema.findings;
    const rows = await this.exec.db
      .select()
      .from(f)
      .where(
        and(
          eq(f.tenantId, this.tenantId),
          integrationId ? eq(f.integrationId, integrationId) : undefined,
          opts.openOnly ? isNull(f.resolvedAt) : undefined,
        ),
      )
      .orderBy(asc(f.checkId), asc(f.subject));
    return rows.map((r) => ({
      integrationId: r.integrationId,
      checkId: r.checkId,
      subject: r.subject,
      severity: r.severity,
      details: r.details,
      firstSeenAt: r.firstSeenAt,
      lastSeenAt: r.lastSeenAt,
      resolvedAt: r.resolvedAt,
    }));
  }
}
