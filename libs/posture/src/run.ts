/**
 * Running the checks for one integration: evaluate every check's SQL, then persist the findings
 * through the store's `syncFindings` (open new ones, keep persisting ones, resolve fixed ones).
 */
import { sql } from 'drizzle-orm';
import type { Logger } from '@idgraph/core';
import type { GraphDb } from '@idgraph/graph';
import { loadPrivilegeGraph, shortestPaths } from '@idgraph/privilege';
import type { CheckSubjectRow, PostureCheck, PrivilegeView, Severity } from './check.js';
import { POSTURE_CHECKS } from './checks.js';
import { resolvePostureThresholds, type PostureThresholds } from './thresholds.js';

/** One finding as handed to the store. `details.label` keeps the display name for reports. */
export interface FindingInput {
  subject: string;
  severity: Severity;
  details: { label: string; title: string; [more: string]: unknown };
}

/** What runPostureChecks needs of GraphStore (structural, so the real store and test doubles fit). */
export interface FindingsStore {
  syncFindings(integrationId: string, checkId: string, current: FindingInput[], at: Date): Promise<unknown>;
  /** The store's database, used when `db` is not passed. */
  readonly gdb?: GraphDb;
}

export interface CheckResult {
  id: string;
  severity: Severity;
  title: string;
  count: number;
  /** Sorted by subject (JavaScript string order). */
  subjects: CheckSubjectRow[];
}

export interface PostureRunResult {
  integration: { id: string; tenantId: string; name: string; orgUrl: string };
  /** The `now` the checks were evaluated against. */
  evaluatedAt: Date;
  thresholds: PostureThresholds;
  /** Every check of the catalogue, in catalogue order, count 0 included. */
  checks: CheckResult[];
}

export interface EvaluatePostureOptions {
  /** The graph database. Optional when `store` exposes `gdb`. */
  db?: GraphDb;
  integrationId: string;
  thresholds?: Partial<PostureThresholds>;
  now?: Date;
  /** Defaults to the whole catalogue; tests may narrow it. */
  checks?: readonly PostureCheck[];
  logger?: Logger;
}

export interface RunPostureOptions extends EvaluatePostureOptions {
  /** Where findings are persisted. Without it nothing is persisted (evaluation only). */
  store?: FindingsStore;
}

interface IntegrationRow {
  tenant_id: string;
  id: string;
  name: string;
  org_url: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function loadIntegration(db: GraphDb, integrationId: string): Promise<IntegrationRow> {
  if (!UUID_RE.test(integrationId)) {
    throw new Error(`posture: integrationId "${integrationId}" is not a UUID; pass the integration's id (see \`idgraph integration list\`)`);
  }
  const rows = await db.execute<IntegrationRow>(
    sql`SELECT tenant_id, id::text AS id, name, org_url FROM integrations WHERE id = ${integrationId}`,
  );
  const row = rows[0];
  if (!row) throw new Error(`posture: no integration with id ${integrationId}; add it with \`idgraph integration add\` first`);
  return row;
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Evaluates every check for one integration without persisting anything. */
export async function evaluatePostureChecks(opts: EvaluatePostureOptions & { store?: FindingsStore }): Promise<PostureRunResult> {
  const db = opts.db ?? opts.store?.gdb;
  if (!db) throw new Error('posture: pass `db` (a GraphDb from openDatabase) or a `store` that exposes `gdb`');
  const thresholds = resolvePostureThresholds(opts.thresholds);
  const now = opts.now ?? new Date();
  if (Number.isNaN(now.getTime())) throw new Error('posture: `now` is an invalid Date');
  const integration = await loadIntegration(db, opts.integrationId);
  const params = { tenantId: integration.tenant_id, integrationId: integration.id, now, thresholds };
  const checks: CheckResult[] = [];
  // Effective privilege is computed once per run, for the checks that use it (recomputed after
  // every collection and stream batch: the runs that call this).
  let privilege: PrivilegeView | undefined;
  const privilegeView = async (): Promise<PrivilegeView> => {
    if (!privilege) {
      const graph = await loadPrivilegeGraph(db, { tenantId: integration.tenant_id, integrationId: integration.id }, (s) =>
        opts.logger?.debug({ integration: integration.id, ...s }, 'privilege graph loaded'));
      privilege = { graph, tierZero: shortestPaths(graph) };
    }
    return privilege;
  };
  for (const check of opts.checks ?? POSTURE_CHECKS) {
    const started = Date.now();
    let rows: CheckSubjectRow[];
    try {
      if (check.privilege) rows = check.privilege(await privilegeView(), params);
      else if (check.query) rows = await db.execute<CheckSubjectRow>(check.query(params));
      else throw new Error('the check has neither a query nor a privilege evaluation');
    } catch (err) {
      throw new Error(`posture check ${check.id} failed: ${(err as Error).message}`, { cause: err });
    }
    const subjects = rows
      .map((r) => ({ subject: String(r.subject), label: String(r.label ?? r.subject), ...(r.details ? { details: r.details } : {}) }))
      .sort((a, b) => byString(a.subject, b.subject));
    checks.push({ id: check.id, severity: check.severity, title: check.title, count: subjects.length, subjects });
    opts.logger?.debug({ integration: integration.id, check: check.id, count: subjects.length, ms: Date.now() - started }, 'posture check evaluated');
  }
  return {
    integration: { id: integration.id, tenantId: integration.tenant_id, name: integration.name, orgUrl: integration.org_url },
    evaluatedAt: now,
    thresholds,
    checks,
  };
}

/**
 * Evaluates every check and, when a store is given, syncs each check's findings (one call per
 * check, every check included so findings of a check that dropped to 0 resolve).
 */
export async function runPostureChecks(opts: RunPostureOptions): Promise<PostureRunResult> {
  const result = await evaluatePostureChecks(opts);
  if (opts.store) {
    for (const check of result.checks) {
      const current: FindingInput[] = check.subjects.map((s) => ({
        subject: s.subject,
        severity: check.severity,
        details: { ...s.details, label: s.label, title: check.title },
      }));
      await opts.store.syncFindings(result.integration.id, check.id, current, result.evaluatedAt);
    }
  }
  const open = result.checks.reduce((n, c) => n + c.count, 0);
  opts.logger?.info({ integration: result.integration.id, checks: result.checks.length, findings: open }, 'posture checks run');
  return result;
}
