/**
 * GraphStore: everything the collectors, the stream consumer, posture and the CLI persist,
 * for one tenant. The SQL lives in small helper modules; this class wires them together and
 * owns transaction boundaries.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { eventTimingFromEnv, loadConfig, type Logger } from '@idgraph/core';
import type { GraphDb } from './db.js';
import { ingestEncodedEventBatch, ingestEventBatch, type EncodedEventBatch, type EncodedIngestResult, type IngestItem, type IngestOptions, type IngestResult } from './event-ingest.js';
import { applyConfirmedMutations } from './mutations.js';
import { executorOf, type Executor } from './executor.js';
import { exportIntegration, mergeSorted } from './export-graph.js';
import { GraphReads } from './graph-reads.js';
import { FindingRepo, type CurrentFinding, type Finding, type FindingsSync } from './findings.js';
import { tombstoneUnseen, type FullSyncScope } from './full-sync.js';
import {
  IntegrationRepo,
  sealedSecretsSummary,
  type Integration,
  type IntegrationPatch,
  type IntegrationSecrets,
  type NewIntegration,
} from './integrations.js';
import type { ExportLine, GraphMutation, LogEventRow } from './model.js';
import { upsertRows, type UpsertContext } from './page-upserts.js';
import type { RowOf } from './resource-spec.js';
import { GRAPH_RESOURCE_SPECS, type GraphResourceSpecs } from './resources.js';
import { readInSnapshot } from './snapshot.js';
import { ApiKeyRepo } from './api-keys.js';
import { ScimRepo } from './scim.js';
import { findingsPage, openFindingCounts, personView, searchPeople, type FindingCount, type FindingsPage, type FindingsQuery, type PersonSummary, type PersonView } from './read-models.js';
import { RunRepo, type Run, type RunResource, type RunResourcePatch, type StartRunInput } from './runs.js';
import * as schema from './schema.js';
import type { RunStatus } from './schema.js';
import { assertSealedWith, createSecretBox, resolveSecretKey, secretKeySource, type SecretBox } from './secrets.js';

export interface GraphStoreOptions {
  tenant: string;
  /** Seals integration secrets. Default: from IDGRAPH_SECRET_KEY or `${dataDir}/secret.key` (see resolveSecretKey). */
  secretBox?: SecretBox;
  logger?: Logger;
  /**
   * The ambiguity window (ms) between an event's time and its object's last read from Okta,
   * within which timestamps do not decide (see event-ingest.ts, page-upserts.ts, full-sync.ts).
   * Default: IDGRAPH_EVENT_AMBIGUITY_SECONDS (60 s).
   */
  ambiguityMs?: number;
}

/** One page's rows, by each resource's `rows` key (resources.ts): `{ users: [...] }`, `{ memberships: [...] }`, … */
export type PageRows = { [S in GraphResourceSpecs as S['rows']]?: RowOf<S>[] } & {
  /** System Log events listed by polling, stored as received via 'poll' (no mutations). */
  logEvents?: LogEventRow[];
};

export interface CommitPageInput {
  integrationId: string;
  /** The run that collected the page (null for work outside a run). */
  runId: string | null;
  resource: string;
  /** '' for a whole resource; e.g. a group id for one group's members. */
  scopeKey?: string;
  /** The `rel="next"` URL to resume from, null when the listing is finished. */
  nextUrl: string | null;
  done: boolean;
  rows: PageRows;
  /**
   * System Log events with their graph mutations (polling), stored and applied exactly like
   * ingestEvents, in the same transaction as the cursor.
   */
  events?: { row: LogEventRow; mutations: GraphMutation[] }[];
  /** Rows of a targeted re-read (see UpsertContext.reread in page-upserts.ts). */
  reread?: boolean;
}

export interface CommitPageResult {
  /** Graph rows written (inserted or updated/seen). */
  objects: number;
  events: IngestResult | null;
}

export interface Checkpoint {
  resource: string;
  scopeKey: string;
  runId: string | null;
  nextUrl: string | null;
  done: boolean;
  updatedAt: Date;
}

/** Live rows per resource (by its `rows` key), and stored events. */
export type GraphCounts = { [S in GraphResourceSpecs as S['rows']]: number } & { logEvents: number };

/** The checkpoint scope that holds a resource's watermark. */
const WATERMARK_SCOPE = 'watermark';

export class GraphStore {
  readonly tenant: string;
  private readonly exec: Executor;
  private readonly integrationRepo: IntegrationRepo;
  private readonly runRepo: RunRepo;
  private readonly findingRepo: FindingRepo;
  /** Keys of the operator API (`idgraph api-key`, `idgraph serve`). */
  readonly apiKeys: ApiKeyRepo;
  private readonly reads: GraphReads;
  /** SCIM provisioning: tokens, Users and Groups, and their graph projection (see scim.ts). */
  readonly scim: ScimRepo;
  private secretBoxInstance: SecretBox | undefined;
  private secretBoxReady: Promise<SecretBox> | undefined;
  /** True for the store handed to a transaction(fn) callback. */
  private readonly boundToTransaction: boolean;
  /** Integration ids verified to belong to this tenant (writes to unknown ids are refused). */
  private readonly knownIntegrations = new Set<string>();
  readonly ambiguityMs: number;

  constructor(
    readonly gdb: GraphDb,
    private readonly opts: GraphStoreOptions,
    exec?: Executor,
  ) {
    if (!opts.tenant || typeof opts.tenant !== 'string') throw new Error('GraphStore needs a tenant id (IDGRAPH_TENANT)');
    this.tenant = opts.tenant;
    this.exec = exec ?? executorOf(gdb.db);
    this.boundToTransaction = exec !== undefined;
    this.ambiguityMs = opts.ambiguityMs ?? eventTimingFromEnv().ambiguityMs;
    if (!Number.isFinite(this.ambiguityMs) || this.ambiguityMs < 0) throw new Error(`GraphStore ambiguityMs must be a number ≥ 0, got ${opts.ambiguityMs}`);
    this.secretBoxInstance = opts.secretBox;
    this.integrationRepo = new IntegrationRepo(this.exec, this.tenant, () => this.secretBox());
    this.runRepo = new RunRepo(this.exec, this.tenant);
    this.findingRepo = new FindingRepo(this.exec, this.tenant);
    this.apiKeys = new ApiKeyRepo(this.exec, this.tenant);
    this.reads = new GraphReads(this.exec, this.tenant);
    this.scim = new ScimRepo(this.exec, this.tenant, this.ambiguityMs);
  }

  /**
   * The secret box, checked once against what the database holds: the key must be the one the
   * stored secrets were sealed with (their fingerprint), and a missing key file is only generated
   * while nothing is sealed yet.
   */
  private secretBox(): Promise<SecretBox> {
    this.secretBoxReady ??= (async () => {
      const sealed = await sealedSecretsSummary(this.exec);
      let box = this.secretBoxInstance;
      if (box) {
        assertSealedWith(box.fingerprint, 'the configured secret key', sealed);
      } else {
        const config = loadConfig();
        box = createSecretBox(resolveSecretKey({ secretKey: config.secretKey, dataDir: config.dataDir }, sealed), { source: secretKeySource(config) });
      }
      this.secretBoxInstance = box;
      return box;
    })().catch((err: unknown) => {
      this.secretBoxReady = undefined;
      throw err;
    });
    return this.secretBoxReady;
  }

  /**
   * The same database as another tenant: everything it reads and writes is that tenant's (the
   * secret box is shared; sealed secrets are bound to their tenant). Not for a transaction's store.
   */
  forTenant(tenant: string): GraphStore {
    if (this.boundToTransaction) throw new Error('forTenant: call it on the store, not on the one a transaction hands out');
    if (tenant === this.tenant) return this;
    return new GraphStore(this.gdb, { ...this.opts, tenant, ambiguityMs: this.ambiguityMs, ...(this.secretBoxInstance ? { secretBox: this.secretBoxInstance } : {}) });
  }

  /** Every tenant of the database (for processes that serve them all, such as `idgraph workers`). */
  async listTenants(): Promise<string[]> {
    const rows = await this.exec.db.select({ id: schema.tenants.id }).from(schema.tenants).orderBy(asc(schema.tenants.id));
    return rows.map((r) => r.id);
  }

  /** Runs fn in one transaction with a store bound to it (nested calls become savepoints). */
  transaction<T>(fn: (store: GraphStore) => Promise<T>): Promise<T> {
    // The bound store shares this one's secret box (possibly resolved lazily by now).
    const opts = { ...this.opts, ambiguityMs: this.ambiguityMs, ...(this.secretBoxInstance ? { secretBox: this.secretBoxInstance } : {}) };
    return this.exec.tx((tx) => fn(new GraphStore(this.gdb, opts, tx)));
  }

  /**
   * Refuses writes for an integration id that is not this tenant's: rows keyed by a stray id
   * would be orphans no export or posture query ever finds.
   */
  private async assertIntegrations(ids: Iterable<string>): Promise<void> {
    for (const id of new Set(ids)) {
      if (this.knownIntegrations.has(id)) continue;
      const [row] = await this.exec.db
        .select({ id: schema.integrations.id })
        .from(schema.integrations)
        .where(and(eq(schema.integrations.tenantId, this.tenant), sql`${schema.integrations.id}::text = ${id}`));
      if (!row) throw new Error(`no integration with id ${JSON.stringify(id)} in tenant "${this.tenant}" (see listIntegrations)`);
      this.knownIntegrations.add(id);
    }
  }

  // ------------------------------------------------------------ tenants & integrations

  async ensureTenant(name = this.tenant): Promise<void> {
    await this.exec.db.insert(schema.tenants).values({ id: this.tenant, name }).onConflictDoNothing();
  }

  createIntegration(input: NewIntegration): Promise<Integration> {
    return this.integrationRepo.create(input);
  }

  /**
   * Updates an integration. Moving it to another org URL drops its paging checkpoints in the same
   * transaction: a saved next link points at the old org and must never be followed.
   */
  updateIntegration(nameOrId: string, patch: IntegrationPatch): Promise<Integration> {
    return this.exec.tx(async (tx) => {
      const repo = new IntegrationRepo(tx, this.tenant, () => this.secretBox());
      const before = await repo.find(nameOrId);
      const updated = await repo.update(nameOrId, patch);
      if (before && before.orgUrl !== updated.orgUrl) {
        const c = schema.checkpoints;
        await tx.db.delete(c).where(and(eq(c.tenantId, this.tenant), eq(c.integrationId, updated.id)));
      }
      return updated;
    });
  }

  getIntegration(nameOrId: string): Promise<Integration | undefined> {
    return this.integrationRepo.find(nameOrId);
  }

  listIntegrations(): Promise<Integration[]> {
    return this.integrationRepo.list();
  }

  /** This tenant's integration fed by an EventBridge event source; undefined for unknown or foreign sources. */
  integrationByEventSource(source: string): Promise<Integration | undefined> {
    return this.integrationRepo.byEventSource(source);
  }

  /** Decrypts the integration's secrets (in memory only; never log the result). */
  integrationSecrets(integration: { id: string }): Promise<IntegrationSecrets> {
    return this.integrationRepo.secrets(integration);
  }

  recordConnectivity(integrationId: string, report: unknown, at?: Date): Promise<void> {
    return this.integrationRepo.recordConnectivity(integrationId, report, at);
  }

  /**
   * Removes an integration. Its graph rows are kept but tombstoned (nothing is hard-deleted and
   * they drop out of exports and posture), its open findings resolve, its checkpoints go and a
   * run still marked running is marked failed. Returns the removed integration, or undefined.
   */
  async removeIntegration(nameOrId: string): Promise<Integration | undefined> {
    return this.exec.tx(async (tx) => {
      const found = await new IntegrationRepo(tx, this.tenant, () => this.secretBox()).find(nameOrId);
      if (!found) return undefined;
      const where = sql`"tenant_id" = ${this.tenant} AND "integration_id" = ${found.id}::uuid`;
      for (const { tableName } of GRAPH_RESOURCE_SPECS) {
        await tx.rows(sql`UPDATE ${sql.raw(`"${tableName}"`)} SET "deleted_at" = now() WHERE ${where} AND "deleted_at" IS NULL`);
      }
      await tx.rows(sql`DELETE FROM "checkpoints" WHERE ${where}`);
      await tx.rows(sql`UPDATE "findings" SET "resolved_at" = now() WHERE ${where} AND "resolved_at" IS NULL`);
      await tx.rows(sql`UPDATE "collection_runs" SET "status" = 'failed', "ended_at" = now(), "error" = 'integration removed'
        WHERE ${where} AND "status" = 'running'`);
      await tx.db
        .delete(schema.integrations)
        .where(and(eq(schema.integrations.tenantId, this.tenant), eq(schema.integrations.id, found.id)));
      this.knownIntegrations.delete(found.id);
      this.opts.logger?.info({ integration: found.name }, 'integration removed; its graph rows are tombstoned');
      return found;
    });
  }

  // ------------------------------------------------------------ runs

  async startRun(input: StartRunInput): Promise<Run> {
    await this.assertIntegrations([input.integrationId]);
    return this.runRepo.start(input);
  }

  getRun(runId: string): Promise<Run | undefined> {
    return this.runRepo.get(runId);
  }

  latestRuns(integrationId?: string, n = 10): Promise<Run[]> {
    return this.runRepo.latest(integrationId, n);
  }

  updateRunResource(runId: string, resource: string, patch: RunResourcePatch): Promise<RunResource> {
    return this.runRepo.updateResource(runId, resource, patch);
  }

  finishRun(runId: string, status: RunStatus, error?: string | null): Promise<Run> {
    return this.runRepo.finish(runId, status, error);
  }

  runningRun(integrationId: string): Promise<Run | undefined> {
    return this.runRepo.running(integrationId);
  }

  /** The run's admin posture checks are final now (see Run.adminPostureFinalAt). */
  markAdminPostureFinal(runId: string): Promise<Run> {
    return this.runRepo.markAdminPostureFinal(runId);
  }

  /** Deletes a run that never started; true when it did (see RunRepo.discard). */
  discardRun(runId: string): Promise<boolean> {
    return this.runRepo.discard(runId);
  }

  // ------------------------------------------------------------ pages & checkpoints

  /** Upserts one page of rows and moves the cursor, atomically. */
  async commitPage(input: CommitPageInput): Promise<CommitPageResult> {
    const ctx: UpsertContext = { tenantId: this.tenant, integrationId: input.integrationId, runId: input.runId, ambiguityMs: this.ambiguityMs, reread: input.reread ?? false };
    const r = input.rows;
    await this.assertIntegrations([input.integrationId]);
    return this.exec.tx(async (tx) => {
      let objects = 0;
      for (const spec of GRAPH_RESOURCE_SPECS) objects += await upsertRows(tx, spec, ctx, r[spec.rows] ?? []);
      const eventItems: IngestItem[] = [
        ...(r.logEvents ?? []).map((row) => ({ integrationId: input.integrationId, row, mutations: [], via: 'poll' as const })),
        ...(input.events ?? []).map((e) => ({ integrationId: input.integrationId, row: e.row, mutations: e.mutations, via: 'poll' as const })),
      ];
      const events = eventItems.length ? await ingestEventBatch(tx, this.tenant, eventItems, this.ingestOptions()) : null;
      await this.writeCheckpoint(tx, input);
      return { objects, events };
    });
  }

  private async writeCheckpoint(exec: Executor, input: CommitPageInput): Promise<void> {
    await exec.db
      .insert(schema.checkpoints)
      .values({
        tenantId: this.tenant,
        integrationId: input.integrationId,
        resource: input.resource,
        scopeKey: input.scopeKey ?? '',
        runId: input.runId,
        nextUrl: input.nextUrl,
        done: input.done,
      })
      .onConflictDoUpdate({
        target: [schema.checkpoints.tenantId, schema.checkpoints.integrationId, schema.checkpoints.resource, schema.checkpoints.scopeKey],
        set: { runId: input.runId, nextUrl: input.nextUrl, done: input.done, updatedAt: sql`now()` },
      });
  }

  async getCheckpoint(integrationId: string, resource: string, scopeKey = ''): Promise<Checkpoint | undefined> {
    const c = schema.checkpoints;
    const [row] = await this.exec.db
      .select({ resource: c.resource, scopeKey: c.scopeKey, runId: c.runId, nextUrl: c.nextUrl, done: c.done, updatedAt: c.updatedAt })
      .from(c)
      .where(and(eq(c.tenantId, this.tenant), eq(c.integrationId, integrationId), eq(c.resource, resource), eq(c.scopeKey, scopeKey)));
    return row;
  }

  /**
   * When the last complete collection of `resource` started, for incremental collections to read
   * what changed since; null before the first (a crashed or partial run never moves it).
   */
  async watermark(integrationId: string, resource: string): Promise<Date | null> {
    const c = schema.checkpoints;
    const [row] = await this.exec.db
      .select({ watermark: c.watermark })
      .from(c)
      .where(and(eq(c.tenantId, this.tenant), eq(c.integrationId, integrationId), eq(c.resource, resource), eq(c.scopeKey, WATERMARK_SCOPE)));
    return row?.watermark ?? null;
  }

  /** Records that run `runId`, started `at`, collected `resource` completely (see watermark()). */
  async setWatermark(integrationId: string, resource: string, runId: string, at: Date): Promise<void> {
    if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new Error(`setWatermark: at must be a valid Date, got ${String(at)}`);
    await this.assertIntegrations([integrationId]);
    const c = schema.checkpoints;
    await this.exec.db
      .insert(c)
      .values({ tenantId: this.tenant, integrationId, resource, scopeKey: WATERMARK_SCOPE, runId, nextUrl: null, done: true, watermark: at })
      .onConflictDoUpdate({ target: [c.tenantId, c.integrationId, c.resource, c.scopeKey], set: { runId, watermark: at, updatedAt: sql`now()` } });
  }

  /** Forgets every cursor of a resource (all scopes); returns how many were removed. */
  async clearCheckpoints(integrationId: string, resource: string): Promise<number> {
    const c = schema.checkpoints;
    const rows = await this.exec.db
      .delete(c)
      .where(and(eq(c.tenantId, this.tenant), eq(c.integrationId, integrationId), eq(c.resource, resource)))
      .returning({ resource: c.resource });
    return rows.length;
  }

  /**
   * After a COMPLETE full collection of `resource` in this run: tombstones that integration's
   * rows of the resource the run did not see (and no event touched since the run started).
   * Refuses for a failed or partial run, or a failed resource. Returns the number tombstoned.
   */
  async finishFullSync(runId: string, resource: string, scope?: FullSyncScope, opts: { reread?: boolean } = {}): Promise<number> {
    const run = await this.runRepo.get(runId);
    if (!run) throw new Error(`finishFullSync: no run ${runId} in this tenant`);
    const tombstoned = await tombstoneUnseen(
      this.exec,
      {
        id: run.id,
        tenantId: run.tenantId,
        integrationId: run.integrationId,
        status: run.status,
        resourceState: run.resources.find((r) => r.resource === resource)?.state,
      },
      resource,
      scope,
      // A targeted re-read decides: no grace for rows events set just before it.
      opts.reread ? 0 : this.ambiguityMs,
    );
    this.opts.logger?.debug({ runId, resource, scope, tombstoned }, 'full sync finished');
    return tombstoned;
  }

  // ------------------------------------------------------------ events

  private ingestOptions(): IngestOptions {
    return { ambiguityMs: this.ambiguityMs };
  }

  /** Stores events once (by uuid) and applies the mutations of newly stored ones, in one transaction. */
  async ingestEvents(items: IngestItem[]): Promise<IngestResult> {
    await this.assertIntegrations(items.map((i) => i.integrationId));
    return this.exec.tx((tx) => ingestEventBatch(tx, this.tenant, items, this.ingestOptions()));
  }

  /**
   * Applies graph mutations Okta confirmed without an event in hand (e.g. a remediation's 204),
   * with the answer's time as `at`; one transaction. Returns how many were applied.
   */
  async applyMutations(integrationId: string, mutations: readonly GraphMutation[]): Promise<number> {
    if (!mutations.length) return 0;
    await this.assertIntegrations([integrationId]);
    return this.exec.tx((tx) => applyConfirmedMutations(tx, this.tenant, integrationId, mutations));
  }

  /** The bulk form of ingestEvents for events encoded ahead (see EncodedEventBatch); PostgreSQL only. */
  async ingestEncodedEvents(batch: EncodedEventBatch): Promise<EncodedIngestResult> {
    await this.assertIntegrations([batch.integrationId]);
    return this.exec.tx((tx) => ingestEncodedEventBatch(tx, this.tenant, batch, this.ingestOptions()));
  }

  // ------------------------------------------------------------ export

  /**
   * The graph as sorted export lines (see export-format.ts), streamed. Without integrationId,
   * every current integration of the tenant, merged in order.
   */
  async *exportGraph(opts: { integrationId?: string; includeDeleted?: boolean } = {}): AsyncGenerator<ExportLine> {
    const includeDeleted = opts.includeDeleted ?? false;
    const ids = opts.integrationId ? [opts.integrationId] : (await this.listIntegrations()).map((i) => i.id);
    const produce = (exec: Executor) => {
      const streams = ids.map((id) => exportIntegration(exec, this.tenant, id, includeDeleted));
      return streams.length === 1 ? streams[0]! : mergeSorted(streams);
    };
    // On PostgreSQL the export reads one consistent snapshot while writers carry on. PGlite has a
    // single connection: a long read transaction there would stall every other query meanwhile.
    const snapshot = this.gdb.kind === 'postgres' && !this.boundToTransaction;
    yield* snapshot ? readInSnapshot(this.gdb.db, produce) : produce(this.exec);
  }

  // ------------------------------------------------------------ reads of the graph (see graph-reads.ts)

  /** Live users in id order, after `afterId` when given (collectors fanning out per user resume by it). */
  liveUsers(integrationId: string, afterId?: string): AsyncIterable<{ id: string; status: string }> {
    return this.reads.liveUsers(integrationId, afterId);
  }

  liveGroupIds(integrationId: string, afterId?: string): AsyncIterable<string> {
    return this.reads.liveGroupIds(integrationId, afterId);
  }

  liveApps(integrationId: string, afterId?: string): AsyncIterable<{ id: string; clientId: string | null; isServiceApp: boolean }> {
    return this.reads.liveApps(integrationId, afterId);
  }

  /** Live custom role or resource set ids in id order (collectors reading each one's permissions or resources). */
  liveIdsOf(table: 'roles' | 'resource_sets', integrationId: string, afterId?: string): AsyncIterable<string> {
    return this.reads.liveIdsOf(table, integrationId, afterId);
  }

  /** Live standard-role assignments of `roleIds` with their Okta ids (for reading their targets), resumable by `key`. */
  liveRoleAssignmentsOf(integrationId: string, roleIds: readonly string[], afterKey?: string) {
    return this.reads.liveRoleAssignmentsOf(integrationId, roleIds, afterKey);
  }

  /** The integration's built-in Everyone group, or null while the graph has none. */
  everyoneGroupId(integrationId: string): Promise<string | null> {
    return this.reads.everyoneGroupId(integrationId);
  }

  adminGroupIds(integrationId: string): Promise<string[]> {
    return this.reads.adminGroupIds(integrationId);
  }

  adminUsers(integrationId: string): Promise<{ id: string; status: string }[]> {
    return this.reads.adminUsers(integrationId);
  }

  doneScopes(integrationId: string, resource: string, runId: string, prefix: string): Promise<Set<string>> {
    return this.reads.doneScopes(integrationId, resource, runId, prefix);
  }

  /** Apps assigned to any of the groups (their members are those apps' GROUP-scope users). */
  appsAssignedToGroups(integrationId: string, groupIds: readonly string[]): Promise<string[]> {
    return this.reads.appsAssignedToGroups(integrationId, groupIds);
  }

  /** Apps the users are assigned to (directly or through a group), and apps assigned to their groups. */
  appsReachableByUsers(integrationId: string, userIds: readonly string[]): Promise<string[]> {
    return this.reads.appsReachableByUsers(integrationId, userIds);
  }

  // ------------------------------------------------------------ findings & counts

  syncFindings(integrationId: string, checkId: string, current: readonly CurrentFinding[], at: Date = new Date()): Promise<FindingsSync> {
    return this.findingRepo.sync(integrationId, checkId, current, at);
  }

  listFindings(integrationId?: string, opts: { openOnly?: boolean } = {}): Promise<Finding[]> {
    return this.findingRepo.list(integrationId, opts);
  }

  /** A page of findings (see read-models.ts). */
  findingsPage(query: FindingsQuery): Promise<FindingsPage> {
    return findingsPage(this.exec, this.tenant, query);
  }

  openFindingCounts(integrationId?: string): Promise<FindingCount[]> {
    return openFindingCounts(this.exec, this.tenant, integrationId);
  }

  searchPeople(q: string, opts: { integrationId?: string | undefined; limit?: number } = {}): Promise<PersonSummary[]> {
    return searchPeople(this.exec, this.tenant, q, opts);
  }

  person(integrationId: string, userId: string): Promise<PersonView | undefined> {
    return personView(this.exec, this.tenant, integrationId, userId);
  }

  /**
   * When the newest event received through Log Streaming (SQS) was stored, looking back `days`
   * (the events table is indexed by time only, so the look-back bounds the read).
   */
  async lastStreamEventAt(integrationId: string, days = 7): Promise<Date | null> {
    const [row] = await this.exec.rows<{ at: string | null }>(sql`
      SELECT max("stored_at") AS at FROM "log_events"
      WHERE "tenant_id" = ${this.tenant} AND "integration_id" = ${integrationId}::uuid AND "received_via" = 'stream'
        AND "published" > now() - make_interval(days => ${days}::int)`);
    return row?.at ? new Date(row.at) : null;
  }

  /** Live rows per kind (stored events for logEvents). */
  async counts(integrationId: string): Promise<GraphCounts> {
    const live = (table: string) =>
      sql`(SELECT count(*)::int FROM ${sql.raw(`"${table}"`)} WHERE "tenant_id" = ${this.tenant}
        AND "integration_id" = ${integrationId}::uuid AND "deleted_at" IS NULL)`;
    const perResource = GRAPH_RESOURCE_SPECS.map((spec) => sql`${live(spec.tableName)} AS ${sql.raw(`"${spec.rows}"`)}, `);
    const [row] = await this.exec.rows<GraphCounts>(sql`SELECT ${sql.join(perResource, sql.raw(''))}
      (SELECT count(*)::int FROM "log_events" WHERE "tenant_id" = ${this.tenant}
        AND "integration_id" = ${integrationId}::uuid) AS "logEvents"`);
    return row!;
  }
}
