/**
 * What the collectors need from the Okta client and the graph store, stated as the smallest
 * structural interfaces. `OktaClient` (@idgraph/okta) and `GraphStore` (@idgraph/graph) satisfy
 * them; tests and the one-shot scan pass the real objects. Keeping the surface small makes it
 * obvious which calls a collection depends on.
 */
import type { Checkpoint as StoredCheckpoint, GraphStore, PageRows, Run, RunMode, RunStatus, RunTrigger } from '@idgraph/graph';
import type { ScopeState } from '@idgraph/okta';
import type {
  OktaApiTokenInput,
  OktaCatalogAppTargetInput,
  OktaClientCredentialInput,
  OktaGroupRuleInput,
  OktaPermissionInput,
  OktaResourceSetResourceInput,
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
  listCustomRolePermissions(roleId: string): Single<OktaPermissionInput>;
  listResourceSetResources(resourceSetId: string, opts?: { startUrl?: string | null }): Listing<OktaResourceSetResourceInput>;
  listRoleTargetGroups(principal: { kind: 'user' | 'group' | 'app'; id: string }, assignmentId: string, opts?: { startUrl?: string | null }): Listing<{ id: string }>;
  listRoleTargetApps(principal: { kind: 'user' | 'group' | 'app'; id: string }, assignmentId: string, opts?: { startUrl?: string | null }): Listing<OktaCatalogAppTargetInput>;
  listApiTokens(): Single<OktaApiTokenInput>;
  listAppClientSecrets(appId: string): Single<OktaClientCredentialInput>;
  listAppJwks(appId: string): Single<OktaClientCredentialInput>;
  listGroupRules(opts?: { startUrl?: string | null }): Listing<OktaGroupRuleInput>;
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

/** A resource's saved cursor, as collectors read it. */
export type Checkpoint = Pick<StoredCheckpoint, 'runId' | 'nextUrl' | 'done'>;

export type RunInfo = Pick<Run, 'id' | 'startedAt' | 'status'>;

export type { RunMode, RunStatus, RunTrigger };
export type { FullSyncScope, RunResourcePatch } from '@idgraph/graph';

/** The graph-store calls collectors make (a subset of @idgraph/graph's GraphStore). */
export type CollectorStore = Pick<GraphStore, 'getCheckpoint' | 'commitPage' | 'watermark' | 'setWatermark' | 'finishFullSync' | 'ingestEvents'>;

/**
 * What the graph already holds, for collectors that fan out per object (members per group,
 * factors per user, assignments per app) and for what events change without saying so. Each
 * stream yields live rows in id order, after `afterId` when given, so a resumed run can continue
 * from its cursor.
 */
export type GraphReader = Pick<
  GraphStore,
  | 'liveUsers'
  | 'liveGroupIds'
  | 'liveApps'
  | 'liveIdsOf'
  | 'liveRoleAssignmentsOf'
  | 'everyoneGroupId'
  | 'appsAssignedToGroups'
  | 'appsReachableByUsers'
  // Admin posture first (admin-first.ts).
  | 'adminGroupIds'
  | 'adminUsers'
  | 'doneScopes'
>;

/** Run bookkeeping (collection_runs / run_resources). */
export type RunStore = Pick<GraphStore, 'startRun' | 'getRun' | 'updateRunResource' | 'finishRun'> & Partial<Pick<GraphStore, 'markAdminPostureFinal'>>;
