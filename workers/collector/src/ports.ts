/**
 * What the collectors need from the Okta client and the graph store, stated as the smallest
 * structural interfaces. `OktaClient` (@idgraph/okta) and `GraphStore` (@idgraph/graph) satisfy
 * them; tests and the one-shot scan pass the real objects. Keeping the surface small makes it
 * obvious which calls a collection depends on.
 */
import type { PageRows, DeferredRefresh, GraphMutation, LogEventRow } from '@idgraph/graph';
import type { ScopeState } from '@idgraph/okta';
import type {
  OktaAppGroupInput,
  OktaAppInput,
  OktaAppUserInput,
  OktaFactorInput,
  OktaGroupInput,
  OktaIamObjectInput,
  OktaLogEventInput,
  OktaRoleAssignmentInput,
  OktaUserInput,
} from '@idgraph/normalize';

export interface Page<T> {
  items: T[];
  nextUrl: string | null;
  fetchedAt: Date;
}

export interface ClientStats {
  requests: number;
  waited429: number;
  retries: number;
  waited429Ms: number;
}

type Listing<T> = AsyncIterable<Page<T>>;
type Single<T> = Promise<{ items: T[]; fetchedAt: Date }>;

/** The Okta calls collectors make (a subset of @idgraph/okta's OktaClient). */
export interface CollectorClient {
  readonly orgUrl: string;
  stats(): ClientStats;
  /** OAuth: scopes requested, granted and refused (to say what to grant when a resource is skipped). */
  scopeState?(): ScopeState | null;
  listUsers(opts?: { search?: string; filter?: string; startUrl?: string | null }): Listing<OktaUserLike>;
  listGroups(opts?: { filter?: string; search?: string; startUrl?: string | null }): Listing<OktaGroupLike>;
  listGroupUsers(groupId: string, opts?: { startUrl?: string | null }): Listing<OktaUserLike>;
  listApps(opts?: { filter?: string; startUrl?: string | null }): Listing<OktaAppLike>;
  listAppUsers(appId: string, opts?: { startUrl?: string | null }): Listing<OktaAppUserLike>;
  listAppGroups(appId: string, opts?: { startUrl?: string | null }): Listing<OktaAppGroupLike>;
  listUserFactors(userId: string): Single<OktaFactorLike>;
  listUserRoles(userId: string): Single<OktaRoleAssignmentLike>;
  listGroupRoles(groupId: string): Single<OktaRoleAssignmentLike>;
  listClientRoles(clientId: string): Single<OktaRoleAssignmentLike>;
  listRoleAssigneeUsers(opts?: { startUrl?: string | null }): Listing<{ id: string }>;
  listCustomRoles(opts?: { startUrl?: string | null }): Listing<OktaCustomRoleLike>;
  listResourceSets(opts?: { startUrl?: string | null }): Listing<OktaResourceSetLike>;
  getUser(id: string): Promise<{ body: OktaUserLike; fetchedAt: Date } | null>;
  getGroup(id: string): Promise<{ body: OktaGroupLike; fetchedAt: Date } | null>;
  getApp(id: string): Promise<{ body: OktaAppLike; fetchedAt: Date } | null>;
  pollLogs(opts: { since?: Date; startUrl?: string | null; limit?: number }): Promise<Page<OktaLogEventLike>>;
}

// The Okta objects as the normalizers accept them (the client's richer types are assignable).
export type OktaUserLike = OktaUserInput;
export type OktaGroupLike = OktaGroupInput;
export type OktaAppLike = OktaAppInput;
export type OktaAppUserLike = OktaAppUserInput;
export type OktaAppGroupLike = OktaAppGroupInput;
export type OktaFactorLike = OktaFactorInput;
export type OktaRoleAssignmentLike = OktaRoleAssignmentInput;
export type OktaCustomRoleLike = OktaIamObjectInput;
export type OktaResourceSetLike = OktaIamObjectInput;
export type OktaLogEventLike = OktaLogEventInput;

/** Rows of one page, all written in the page's transaction: the store's own type. */
export type { PageRows };

export interface Checkpoint {
  runId: string | null;
  nextUrl: string | null;
  done: boolean;
}

export interface RunInfo {
  id: string;
  startedAt: Date;
  status: string;
}

export interface RunResourcePatch {
  state?: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
  full?: boolean;
  pages?: number;
  objects?: number;
  requests?: number;
  waited429?: number;
  retries?: number;
  error?: string | null;
}

export type FullSyncScope =
  | { groupId: string }
  | { userId: string }
  | { appId: string }
  | { principalKind: 'user' | 'group' | 'app'; principalId: string };

/** The graph-store calls collectors make (a subset of @idgraph/graph's GraphStore). */
export interface CollectorStore {
  getCheckpoint(integrationId: string, resource: string, scopeKey: string): Promise<Checkpoint | null | undefined>;
  commitPage(input: {
    integrationId: string;
    runId: string;
    resource: string;
    scopeKey: string;
    nextUrl: string | null;
    done: boolean;
    rows: PageRows;
    /** A targeted re-read: it decides what event times could not (see GraphStore.commitPage). */
    reread?: boolean;
  }): Promise<unknown>;
  finishFullSync(runId: string, resource: string, scope?: FullSyncScope, opts?: { reread?: boolean }): Promise<unknown>;
  ingestEvents(
    items: { integrationId: string; row: LogEventRow; mutations: GraphMutation[]; via: 'poll' | 'stream' | 'file' }[],
  ): Promise<{ stored: number; duplicates: number; applied: number; storedUuids: string[]; deferred: DeferredRefresh[] }>;
}

/**
 * Streams of what the graph already holds, for collectors that fan out per object (members per
 * group, factors per user, assignments per app). Each yields live rows in id order, after `afterId`
 * when given, so a resumed run can continue from its cursor.
 */
export interface GraphReader {
  liveUsers(integrationId: string, afterId?: string): AsyncIterable<{ id: string; status: string }>;
  liveGroupIds(integrationId: string, afterId?: string): AsyncIterable<string>;
  liveApps(integrationId: string, afterId?: string): AsyncIterable<{ id: string; clientId: string | null; isServiceApp: boolean }>;
  /** Apps a group is (live) assigned to: its members are those apps' GROUP-scope users. */
  appsAssignedToGroup(integrationId: string, groupId: string): Promise<string[]>;
  /**
   * Apps a user is (live) assigned to, directly or through a group. Optional: without it a
   * deactivation event cannot re-read the assignments Okta removed with the user's accounts.
   */
  appsAssignedToUser?(integrationId: string, userId: string): Promise<string[]>;
  /**
   * Admin posture first (admin-first.ts); optional: without them a full run has no admin step.
   * Live groups holding a live ACTIVE role assignment, in id order.
   */
  adminGroupIds?(integrationId: string): Promise<string[]>;
  /** Live users holding a live ACTIVE role directly or through a live membership of such a group, in id order. */
  adminUsers?(integrationId: string): Promise<{ id: string; status: string }[]>;
  /** Scope keys (starting with `prefix`) of this run's `done` checkpoints of a resource. */
  doneScopes?(integrationId: string, resource: string, runId: string, prefix: string): Promise<Set<string>>;
}

export type RunMode = 'full' | 'incremental' | 'refresh';
export type RunTrigger = 'schedule' | 'collect-now' | 'scan' | 'stream' | 'action';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'partial';

/** Run bookkeeping (collection_runs / run_resources). */
export interface RunStore {
  startRun(input: { integrationId: string; mode: RunMode; trigger: RunTrigger; resources: string[] }): Promise<RunInfo>;
  getRun(runId: string): Promise<(RunInfo & { integrationId: string; mode: string }) | null | undefined>;
  updateRunResource(runId: string, resource: string, patch: RunResourcePatch): Promise<unknown>;
  finishRun(runId: string, status: RunStatus, error?: string): Promise<unknown>;
  /** Records that the run's admin posture checks are final (optional: without it nothing is recorded). */
  markAdminPostureFinal?(runId: string): Promise<unknown>;
}
