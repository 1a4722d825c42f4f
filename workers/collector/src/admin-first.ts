/**
 * Admin posture first. A full collection of a large org spends hours on one factor request per
 * user, while the first questions asked are about admins. So within a full run:
 *
 *   1. admin roles (the `roles` resource, which waits for groups and apps) and users are collected
 *      as usual, at once;
 *   2. then the members of the groups that hold a role (group_members starts with them), each group
 *      tombstoned on its own as soon as it is read, so its stale memberships go at once;
 *   3. then the factors of every admin (direct holders and members of those groups) who can still
 *      sign in, each admin committed and tombstoned on its own (checkpoint `factors` / `user:ID`);
 *   4. then the admin posture checks are run and the run marked `adminPostureFinalAt`;
 *   5. meanwhile the rest: members of every other group, and everyone else's factors (the sweep
 *      skips the admins read in step 3, so no factor is requested twice).
 *
 * Nothing later in the run can change an admin check's inputs: only role holders' rows matter to
 * them, and those are complete. A resource the run does not include counts as it is in the graph
 * (the weekly factors-only run takes the admins of the last full run). A milestone that fails
 * (roles skipped for want of a scope, a failed resource) leaves the admin posture not final; the
 * other collectors then go on as if there were no admin step. The steps keep checkpoints like any
 * collector, so a resumed run redoes none of them.
 */
import type { CollectorResource } from './resources.js';
import type { CollectionMode } from './context.js';

/**
 * What admin checks read, each settled once: `users`, `groups`, `apps` and `roles` with their
 * resource's outcome; `adminMembers` and `adminFactors` by the collectors doing steps 2 and 3.
 */
export type AdminMilestone = 'users' | 'groups' | 'apps' | 'roles' | 'adminMembers' | 'adminFactors';

const RESOURCE_MILESTONES: Partial<Record<CollectorResource, AdminMilestone>> = {
  users: 'users',
  groups: 'groups',
  apps: 'apps',
  roles: 'roles',
  group_members: 'adminMembers',
  factors: 'adminFactors',
};

/** The factors checkpoint scope of one admin's factors read in step 3. */
export const ADMIN_FACTORS_SCOPE_PREFIX = 'user:';

export class AdminFirst {
  private readonly outcomes = new Map<AdminMilestone, boolean>();
  private readonly waiters = new Map<AdminMilestone, { promise: Promise<boolean>; resolve: (ok: boolean) => void }>();

  /** Milestones of resources the run does not collect are settled at once: the graph is taken as it is. */
  constructor(resources: readonly CollectorResource[]) {
    for (const [resource, milestone] of Object.entries(RESOURCE_MILESTONES) as [CollectorResource, AdminMilestone][]) {
      if (!resources.includes(resource)) this.settle(milestone, true);
    }
  }

  /** Settles a milestone (the first call wins, so a `finally` can settle it false without undoing success). */
  settle(milestone: AdminMilestone, ok: boolean): void {
    if (this.outcomes.has(milestone)) return;
    this.outcomes.set(milestone, ok);
    this.waiter(milestone).resolve(ok);
  }

  /** Settles the milestone of a finished resource, if it has one. */
  settleResource(resource: CollectorResource, outcome: 'done' | 'failed' | 'skipped'): void {
    const milestone = RESOURCE_MILESTONES[resource];
    // group_members and factors settle their admin step themselves once it is done; one that ended
    // without reaching it (failed, skipped) is settled false here.
    if (milestone) this.settle(milestone, outcome === 'done');
  }

  /** True once every milestone named is settled true; false as soon as one is settled false. Rejects on abort. */
  async ready(milestones: readonly AdminMilestone[], signal: AbortSignal): Promise<boolean> {
    for (const m of milestones) {
      if (!(await this.wait(m, signal))) return false;
    }
    return true;
  }

  /** Every milestone settled true: the admin checks are final. */
  final(signal: AbortSignal): Promise<boolean> {
    return this.ready(['users', 'groups', 'apps', 'roles', 'adminMembers', 'adminFactors'], signal);
  }

  private wait(milestone: AdminMilestone, signal: AbortSignal): Promise<boolean> {
    const known = this.outcomes.get(milestone);
    if (known !== undefined) return Promise.resolve(known);
    signal.throwIfAborted();
    return new Promise<boolean>((resolve, reject) => {
      const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      void this.waiter(milestone).promise.then((ok) => {
        signal.removeEventListener('abort', onAbort);
        resolve(ok);
      });
    });
  }

  private waiter(milestone: AdminMilestone): { promise: Promise<boolean>; resolve: (ok: boolean) => void } {
    let w = this.waiters.get(milestone);
    if (!w) {
      let resolve!: (ok: boolean) => void;
      const promise = new Promise<boolean>((r) => (resolve = r));
      w = { promise, resolve };
      this.waiters.set(milestone, w);
    }
    return w;
  }
}

/**
 * The admin step applies to full runs that collect roles or factors (a run of users alone says
 * nothing new about admins) and to stores that can name the admins.
 */
export function planAdminFirst(
  resources: readonly CollectorResource[],
  mode: CollectionMode,
  store: { adminGroupIds?: unknown; adminUsers?: unknown; doneScopes?: unknown },
): AdminFirst | null {
  if (mode !== 'full') return null;
  if (!resources.includes('roles') && !resources.includes('factors')) return null;
  if (typeof store.adminGroupIds !== 'function' || typeof store.adminUsers !== 'function' || typeof store.doneScopes !== 'function') return null;
  return new AdminFirst(resources);
}
