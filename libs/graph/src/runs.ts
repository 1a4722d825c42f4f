/** Collection runs and their per-resource progress. */
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { scrubSecrets } from '@idgraph/core';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Executor } from './executor.js';
import * as schema from './schema.js';
import { RUN_MODES, RUN_RESOURCE_STATES, RUN_STATUSES, RUN_TRIGGERS } from './schema.js';
import type { RunMode, RunResourceState, RunStatus, RunTrigger } from './schema.js';

export interface RunResource {
  resource: string;
  state: RunResourceState;
  full: boolean;
  pages: number;
  objects: number;
  requests: number;
  waited429: number;
  retries: number;
  startedAt: Date | null;
  endedAt: Date | null;
  error: string | null;
}

export interface Run {
  id: string;
  tenantId: string;
  integrationId: string;
  mode: RunMode;
  trigger: RunTrigger;
  status: RunStatus;
  startedAt: Date;
  endedAt: Date | null;
  error: string | null;
  /**
   * When the admin posture checks became final in this run (admin roles, their holders and those
   * holders' factors collected, the admin checks run); null while pending or not covered.
   */
  adminPostureFinalAt: Date | null;
  /** The run's admin posture checks are final (adminPostureFinalAt is set). */
  adminPostureFinal: boolean;
  resources: RunResource[];
}

export interface StartRunInput {
  integrationId: string;
  mode: RunMode;
  trigger: RunTrigger;
  /** Resource names, or {resource, full} to say whether it is collected in full (default: mode === 'full'). */
  resources: (string | { resource: string; full?: boolean })[];
}

/** Counters are increments; state/full/error replace. */
export interface RunResourcePatch {
  state?: RunResourceState;
  full?: boolean;
  error?: string | null;
  pages?: number;
  objects?: number;
  requests?: number;
  waited429?: number;
  retries?: number;
}

function oneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`${what} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Run errors are shown to people and stored: strip anything credential-shaped, bound the size. */
function cleanError(error: string | null | undefined): string | null {
  return error == null ? null : scrubSecrets(error).slice(0, 4000);
}

export class RunRepo {
  constructor(
    private readonly exec: Executor,
    private readonly tenantId: string,
  ) {}

  async start(input: StartRunInput): Promise<Run> {
    const mode = oneOf('mode', input.mode, RUN_MODES);
    const trigger = oneOf('trigger', input.trigger, RUN_TRIGGERS);
    if (!input.resources.length) throw new Error('startRun needs at least one resource');
    const resources = input.resources.map((r) => (typeof r === 'string' ? { resource: r, full: mode === 'full' } : { resource: r.resource, full: r.full ?? mode === 'full' }));
    const names = new Set(resources.map((r) => r.resource));
    if (names.size !== resources.length) throw new Error('startRun: a resource is listed twice');
    return this.exec.tx(async (tx) => {
      const [run] = await tx.db
        .insert(schema.collectionRuns)
        .values({ tenantId: this.tenantId, integrationId: input.integrationId, mode, trigger })
        .returning({ id: schema.collectionRuns.id });
      await tx.db.insert(schema.runResources).values(resources.map((r) => ({ runId: run!.id, resource: r.resource, full: r.full })));
      return (await new RunRepo(tx, this.tenantId).get(run!.id))!;
    });
  }

  async get(runId: string): Promise<Run | undefined> {
    const runs = await this.withResources(
      await this.exec.db
        .select()
        .from(schema.collectionRuns)
        .where(and(eq(schema.collectionRuns.tenantId, this.tenantId), eq(schema.collectionRuns.id, runId))),
    );
    return runs[0];
  }

  async latest(integrationId: string | undefined, n: number): Promise<Run[]> {
    if (!Number.isInteger(n) || n < 1) throw new Error(`latestRuns: n must be a positive integer, got ${n}`);
    const t = schema.collectionRuns;
    const where = integrationId ? and(eq(t.tenantId, this.tenantId), eq(t.integrationId, integrationId)) : eq(t.tenantId, this.tenantId);
    return this.withResources(await this.exec.db.select().from(t).where(where).orderBy(desc(t.startedAt)).limit(n));
  }

  async running(integrationId: string): Promise<Run | undefined> {
    const t = schema.collectionRuns;
    const rows = await this.exec.db
      .select()
      .from(t)
      .where(and(eq(t.tenantId, this.tenantId), eq(t.integrationId, integrationId), eq(t.status, 'running')))
      .orderBy(desc(t.startedAt))
      .limit(1);
    return (await this.withResources(rows))[0];
  }

  async updateResource(runId: string, resource: string, patch: RunResourcePatch): Promise<RunResource> {
    const r = schema.runResources;
    const state = patch.state === undefined ? undefined : oneOf('state', patch.state, RUN_RESOURCE_STATES);
    const inc = (col: AnyPgColumn, by: number | undefined) => {
      if (by === undefined) return undefined;
      if (!Number.isInteger(by) || by < 0) throw new Error(`updateRunResource: counters are non-negative integer increments, got ${by}`);
      return sql`${col} + ${by}`;
    };
    const [row] = await this.exec.db
      .update(r)
      .set({
        state,
        full: patch.full,
        error: patch.error === undefined ? undefined : cleanError(patch.error),
        pages: inc(r.pages, patch.pages),
        objects: inc(r.objects, patch.objects),
        requests: inc(r.requests, patch.requests),
        waited429: inc(r.waited429, patch.waited429),
        retries: inc(r.retries, patch.retries),
        startedAt: state === 'running' ? sql`coalesce(${r.startedAt}, now())` : undefined,
        endedAt: state === 'done' || state === 'failed' || state === 'skipped' ? sql`now()` : undefined,
      })
      .where(
        and(
          eq(r.runId, runId),
          eq(r.resource, resource),
          // tenant isolation: the run must belong to this store's tenant
          inArray(r.runId, this.exec.db.select({ id: schema.collectionRuns.id }).from(schema.collectionRuns).where(eq(schema.collectionRuns.tenantId, this.tenantId))),
        ),
      )
      .returning();
    if (!row) throw new Error(`run ${runId} has no resource ${JSON.stringify(resource)} (list it in startRun)`);
    return toResource(row);
  }

  async finish(runId: string, status: RunStatus, error?: string | null): Promise<Run> {
    oneOf('status', status, RUN_STATUSES);
    if (status === 'running') throw new Error('finishRun: status must be succeeded, failed or partial');
    const t = schema.collectionRuns;
    const [row] = await this.exec.db
      .update(t)
      .set({ status, endedAt: new Date(), error: cleanError(error) })
      .where(and(eq(t.tenantId, this.tenantId), eq(t.id, runId)))
      .returning({ id: t.id });
    if (!row) throw new Error(`no run ${runId} in this tenant`);
    return (await this.get(runId))!;
  }

  /** Records that the run's admin posture checks are final now (the first call wins: a resumed run keeps the time). */
  async markAdminPostureFinal(runId: string): Promise<Run> {
    const t = schema.collectionRuns;
    const [row] = await this.exec.db
      .update(t)
      .set({ adminPostureFinalAt: sql`coalesce(${t.adminPostureFinalAt}, now())` })
      .where(and(eq(t.tenantId, this.tenantId), eq(t.id, runId)))
      .returning({ id: t.id });
    if (!row) throw new Error(`no run ${runId} in this tenant`);
    return (await this.get(runId))!;
  }

  /**
   * Deletes a run that never started (no resource left pending): Collect Now opens a run before
   * enqueueing, and drops it again when the request joined a run already under way.
   */
  async discard(runId: string): Promise<boolean> {
    const rows = await this.exec.rows<{ id: string }>(sql`
      DELETE FROM "collection_runs" r WHERE r."tenant_id" = ${this.tenantId} AND r."id" = ${runId}::uuid AND r."status" = 'running'
        AND NOT EXISTS (SELECT 1 FROM "run_resources" x WHERE x."run_id" = r."id" AND x."state" <> 'pending')
      RETURNING r."id"::text AS id`);
    return rows.length > 0;
  }

  private async withResources(runs: (typeof schema.collectionRuns.$inferSelect)[]): Promise<Run[]> {
    if (!runs.length) return [];
    const r = schema.runResources;
    const resources = await this.exec.db
      .select()
      .from(r)
      .where(inArray(r.runId, runs.map((x) => x.id)))
      .orderBy(asc(r.runId), asc(r.resource));
    return runs.map((run) => ({
      id: run.id,
      tenantId: run.tenantId,
      integrationId: run.integrationId,
      mode: run.mode,
      trigger: run.trigger,
      status: run.status,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      error: run.error,
      adminPostureFinalAt: run.adminPostureFinalAt,
      adminPostureFinal: run.adminPostureFinalAt !== null,
      resources: resources.filter((x) => x.runId === run.id).map(toResource),
    }));
  }
}

function toResource(row: typeof schema.runResources.$inferSelect): RunResource {
  return {
    resource: row.resource,
    state: row.state,
    full: row.full,
    pages: row.pages,
    objects: row.objects,
    requests: row.requests,
    waited429: row.waited429,
    retries: row.retries,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    error: row.error,
  };
}
