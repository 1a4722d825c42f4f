/**
 * Live changes to the org. Each change updates the model the way Okta does (including side
 * effects), bumps `lastUpdated` / `lastMembershipUpdated`, and records the System Log event Okta
 * would record (https://developer.okta.com/docs/reference/api/event-types/).
 *
 * Modelled side effects:
 * - deactivate → DEPROVISIONED: direct app assignments are removed (Okta deprovisions app
 *   accounts), group memberships stay (also Everyone), factors stay, admin roles stay;
 *   group-derived app users disappear from app user lists while the user is DEPROVISIONED.
 * - delete (only from DEPROVISIONED, as in Okta): the user disappears from every group, app
 *   and role assignment, and their factors are gone.
 * - factor reset_all: every factor is removed.
 * - sessions clear: only the event (sessions are not modelled).
 * - revoking a role: Okta fires `*.privilege.revoke` only when the principal has no admin
 *   privileges left; otherwise it fires `*.privilege.grant` listing the remaining ones (a user's
 *   include the roles held through groups, as the user's role list does).
 */
import type { IdFactory, Rng } from './rng.js';
import { LogEventFactory, SYSTEM_ACTOR, target, userActor } from './events.js';
import { makeFactor } from './generate.js';
import { roleAssignmentsOf, userRoleListOf } from './queries.js';
import type {
  FactorType, LogActor, OktaLogEvent, SimApp, SimAppGroupAssignment, SimAppUserAssignment, SimGroup, SimOrgState, SimRoleAssignment, SimUser, SimUserProfile, StandardRoleType, UserStatus,
} from './model.js';
import { STANDARD_ROLE_LABELS, STANDARD_ROLE_TYPES } from './model.js';

export type SimChange =
  | { type: 'user.create'; profile?: Partial<Pick<SimUserProfile, 'firstName' | 'lastName' | 'login' | 'email' | 'department'>>; activate?: boolean }
  | { type: 'user.activate'; userId: string }
  | { type: 'user.deactivate'; userId: string }
  | { type: 'user.suspend'; userId: string }
  | { type: 'user.unsuspend'; userId: string }
  | { type: 'user.delete'; userId: string }
  | { type: 'user.lock'; userId: string }
  | { type: 'user.update_profile'; userId: string; profile: Partial<Pick<SimUserProfile, 'firstName' | 'lastName' | 'email' | 'mobilePhone' | 'department' | 'title'>> }
  | { type: 'group.member.add'; groupId: string; userId: string }
  | { type: 'group.member.remove'; groupId: string; userId: string }
  | { type: 'app.user.assign'; appId: string; userId: string }
  | { type: 'app.user.unassign'; appId: string; userId: string }
  | { type: 'app.group.assign'; appId: string; groupId: string }
  | { type: 'app.group.unassign'; appId: string; groupId: string }
  | { type: 'role.grant.user'; userId: string; role: StandardRoleType }
  | { type: 'role.grant.group'; groupId: string; role: StandardRoleType }
  | { type: 'role.revoke'; assignmentId: string }
  | { type: 'factor.activate'; userId: string; factorType: FactorType }
  | { type: 'factor.deactivate'; userId: string; factorId: string }
  | { type: 'factor.reset_all'; userId: string }
  | { type: 'user.sessions.clear'; userId: string };

export type SimChangeType = SimChange['type'];

export class SimChangeError extends Error {}

/**
 * The org's clock. `wall()` is Okta's wall clock: the host's plus `skewMs` (a test knob for a
 * host clock that is off Okta's); every response's `Date` header reads it. `now()` starts at the
 * generation `now` and advances with the wall clock, so an org generated "in the past" keeps its
 * System Log windows and retention meaningful.
 * `tick()` (mutation times) is strictly increasing and, without lag, never behind the wall clock:
 * a change made after a response must never look older than that response's `Date` header.
 * With `lagMs`, a change is stamped that much earlier than the moment reads start to show it,
 * which is how Okta's eventually consistent list and search results look to a reader (see
 * libs/okta-sim/README.md, "Event timing").
 */
export class SimClock {
  private last: number;
  private readonly offset: number;
  constructor(
    start: Date,
    private readonly skewMs = 0,
    private readonly lagMs = 0,
  ) {
    this.last = start.getTime() - lagMs;
    const drift = start.getTime() - this.wall();
    // The default `now` is the wall clock rounded down to the second: that is the wall clock.
    this.offset = Math.abs(drift) < 1000 ? 0 : drift;
  }
  wall(): number {
    return Date.now() + this.skewMs;
  }
  now(): number {
    return this.wall() + this.offset;
  }
  tick(): Date {
    this.last = Math.max(this.wall() - this.lagMs, this.now() - this.lagMs, this.last + 1);
    return new Date(this.last);
  }
}

export class Mutator {
  constructor(
    private readonly org: SimOrgState,
    private readonly ids: IdFactory,
    private readonly rng: Rng,
    private readonly events: LogEventFactory,
    private readonly clock: SimClock,
  ) {}

  /**
   * Applies a change (or a random valid one) and returns it with its System Log event. `actor` is
   * who made it (an API token's owner, a service app); default: an ACTIVE super admin of the org.
   */
  apply(change: SimChange | undefined, actor?: LogActor): { change: SimChange; event: OktaLogEvent } {
    const c = change ?? this.randomChange();
    const at = this.clock.tick();
    const event = this.applyAt(c, at, actor ?? this.actor);
    this.org.events.push(event);
    this.org.version++;
    return { change: c, event };
  }

  private get actor(): LogActor {
    const superAdmin = [...this.org.roleAssignments.values()].find((r) => r.principalKind === 'user' && r.type === 'SUPER_ADMIN' && this.org.users.get(r.principalId)?.status === 'ACTIVE');
    const u = superAdmin ? this.org.users.get(superAdmin.principalId) : undefined;
    return u ? userActor(u) : SYSTEM_ACTOR;
  }

  private user(id: string): SimUser {
    const u = this.org.users.get(id);
    if (!u) throw new SimChangeError(`unknown user id "${id}"; pick one from sim.org.users`);
    return u;
  }
  private group(id: string): SimGroup {
    const g = this.org.groups.get(id);
    if (!g) throw new SimChangeError(`unknown group id "${id}"; pick one from sim.org.groups`);
    return g;
  }
  private app(id: string): SimApp {
    const a = this.org.apps.get(id);
    if (!a) throw new SimChangeError(`unknown app id "${id}"; pick one from sim.org.apps`);
    return a;
  }

  private setStatus(u: SimUser, status: UserStatus, at: string): void {
    u.status = status;
    u.statusChanged = at;
    u.lastUpdated = at;
  }

  private dropApiTokensOf(userId: string): void {
    for (const [id, t] of this.org.apiTokens) if (t.userId === userId) this.org.apiTokens.delete(id);
  }

  private touchMembership(g: SimGroup, at: string): void {
    g.lastMembershipUpdated = at;
  }

  private applyAt(c: SimChange, now: Date, actor: LogActor): OktaLogEvent {
    const at = now.toISOString();
    const ev = (eventType: string, legacy: string | null, displayMessage: string, targets: OktaLogEvent['target'], requestUri: string, extra: Record<string, string> = {}, job = false): OktaLogEvent =>
      this.events.build({ eventType, legacyEventType: legacy, displayMessage, published: now, actor: job ? SYSTEM_ACTOR : actor, target: targets, requestUri, url: `${requestUri}?`, debugData: extra, transactionType: job ? 'JOB' : 'WEB' });
    switch (c.type) {
      case 'user.create': {
        const n = this.org.users.size;
        const first = c.profile?.firstName ?? 'New';
        const last = c.profile?.lastName ?? `Hire${n}`;
        const login = c.profile?.login ?? `${first.toLowerCase()}.${last.toLowerCase()}.${this.ids.next('xxx').slice(3, 10).toLowerCase()}@${this.org.subdomain}.example.com`;
        if ([...this.org.users.values()].some((u) => u.profile.login === login)) throw new SimChangeError(`login "${login}" is already taken`);
        const activate = c.activate ?? true;
        const typeId = this.org.users.values().next().value?.typeId ?? this.ids.next('oty');
        const u: SimUser = {
          id: this.ids.next('00u'), status: activate ? 'ACTIVE' : 'STAGED', created: at, activated: activate ? at : null,
          statusChanged: activate ? at : null, lastLogin: null, lastUpdated: at, passwordChanged: activate ? at : null,
          profile: { firstName: first, lastName: last, email: c.profile?.email ?? login, login, mobilePhone: null, secondEmail: null, department: c.profile?.department ?? null, title: null },
          credentialProvider: { type: 'OKTA', name: 'OKTA' }, typeId,
        };
        this.org.users.set(u.id, u);
        this.org.userGroups.set(u.id, new Set([this.org.everyoneGroupId]));
        this.org.groupMembers.get(this.org.everyoneGroupId)?.add(u.id);
        this.touchMembership(this.group(this.org.everyoneGroupId), at);
        return ev('user.lifecycle.create', 'core.user.config.user_creation.success', 'Create okta user', [target.user(u)], '/api/v1/users');
      }
      case 'user.activate': {
        const u = this.user(c.userId);
        if (!['STAGED', 'PROVISIONED', 'DEPROVISIONED'].includes(u.status)) throw new SimChangeError(`user ${u.id} is ${u.status}; only STAGED, PROVISIONED or DEPROVISIONED users can be activated`);
        this.setStatus(u, 'ACTIVE', at);
        u.activated = at;
        return ev('user.lifecycle.activate', 'core.user.config.user_activated', 'Activate Okta user', [target.user(u)], `/api/v1/users/${u.id}/lifecycle/activate`);
      }
      case 'user.deactivate': {
        const u = this.user(c.userId);
        if (u.status === 'DEPROVISIONED') throw new SimChangeError(`user ${u.id} is already DEPROVISIONED`);
        this.setStatus(u, 'DEPROVISIONED', at);
        for (const assignments of this.org.appUserAssignments.values()) assignments.delete(u.id);
        // "If a user account is deactivated in Okta, any API token created by that user account is deprovisioned at the same time."
        this.dropApiTokensOf(u.id);
        return ev('user.lifecycle.deactivate', 'core.user.config.user_deactivated', 'Deactivate Okta user', [target.user(u)], `/api/v1/users/${u.id}/lifecycle/deactivate`);
      }
      case 'user.suspend': {
        const u = this.user(c.userId);
        if (u.status !== 'ACTIVE') throw new SimChangeError(`user ${u.id} is ${u.status}; only ACTIVE users can be suspended`);
        this.setStatus(u, 'SUSPENDED', at);
        return ev('user.lifecycle.suspend', 'core.user.config.user_suspended', 'Suspend Okta user', [target.user(u)], `/api/v1/users/${u.id}/lifecycle/suspend`);
      }
      case 'user.unsuspend': {
        const u = this.user(c.userId);
        if (u.status !== 'SUSPENDED') throw new SimChangeError(`user ${u.id} is ${u.status}; only SUSPENDED users can be unsuspended`);
        this.setStatus(u, 'ACTIVE', at);
        return ev('user.lifecycle.unsuspend', 'core.user.config.user_unsuspended', 'Unsuspend Okta user', [target.user(u)], `/api/v1/users/${u.id}/lifecycle/unsuspend`);
      }
      case 'user.lock': {
        const u = this.user(c.userId);
        if (u.status !== 'ACTIVE' && u.status !== 'PASSWORD_EXPIRED') throw new SimChangeError(`user ${u.id} is ${u.status}; only ACTIVE or PASSWORD_EXPIRED users can be locked out`);
        this.setStatus(u, 'LOCKED_OUT', at);
        return this.events.build({ eventType: 'user.account.lock', legacyEventType: 'core.user.account.locked', displayMessage: 'Max sign in attempts exceeded', published: now, actor: userActor(u), target: [target.user(u)], requestUri: '/idp/idx/challenge/answer', url: '/idp/idx/challenge/answer?', viaApi: false, outcomeReason: 'LOCKED_OUT' });
      }
      case 'user.delete': {
        const u = this.user(c.userId);
        if (u.status !== 'DEPROVISIONED') throw new SimChangeError(`user ${u.id} is ${u.status}; Okta deletes only DEPROVISIONED users (deactivate first)`);
        for (const gid of this.org.userGroups.get(u.id) ?? []) {
          this.org.groupMembers.get(gid)?.delete(u.id);
          const g = this.org.groups.get(gid);
          if (g) this.touchMembership(g, at);
        }
        this.org.userGroups.delete(u.id);
        for (const assignments of this.org.appUserAssignments.values()) assignments.delete(u.id);
        for (const [id, r] of this.org.roleAssignments) if (r.principalKind === 'user' && r.principalId === u.id) this.org.roleAssignments.delete(id);
        this.dropApiTokensOf(u.id);
        for (const rule of this.org.groupRules.values()) rule.excludedUserIds = rule.excludedUserIds.filter((id) => id !== u.id);
        this.org.factors.delete(u.id);
        this.org.users.delete(u.id);
        return ev('user.lifecycle.delete.initiated', 'core.user.config.user_deleted', 'Delete Okta user', [target.user(u)], `/api/v1/users/${u.id}`);
      }
      case 'user.update_profile': {
        const u = this.user(c.userId);
        const keys = Object.keys(c.profile);
        if (keys.length === 0) throw new SimChangeError('user.update_profile needs at least one profile field');
        Object.assign(u.profile, c.profile);
        u.lastUpdated = at;
        return ev('user.account.update_profile', 'core.user.config.profile_update.success', 'Update user profile for Okta', [target.user(u)], `/api/v1/users/${u.id}`, { changedAttributes: keys.join(',') });
      }
      case 'group.member.add':
      case 'group.member.remove': {
        const g = this.group(c.groupId);
        const u = this.user(c.userId);
        if (g.type !== 'OKTA_GROUP') throw new SimChangeError(`group ${g.id} is ${g.type}; only OKTA_GROUP memberships can be changed`);
        const members = this.org.groupMembers.get(g.id) as Set<string>;
        const add = c.type === 'group.member.add';
        if (add === members.has(u.id)) throw new SimChangeError(`user ${u.id} is ${add ? 'already' : 'not'} a member of group ${g.id}`);
        if (add) { members.add(u.id); this.org.userGroups.get(u.id)?.add(g.id); } else { members.delete(u.id); this.org.userGroups.get(u.id)?.delete(g.id); }
        this.touchMembership(g, at);
        return add
          ? ev('group.user_membership.add', 'core.user_group_member.user_add', 'Add user to group membership', [target.user(u), target.group(g)], `/api/v1/groups/${g.id}/users/${u.id}`)
          : ev('group.user_membership.remove', 'core.user_group_member.user_remove', 'Remove user from group membership', [target.user(u), target.group(g)], `/api/v1/groups/${g.id}/users/${u.id}`);
      }
      case 'app.user.assign':
      case 'app.user.unassign': {
        const a = this.app(c.appId);
        const u = this.user(c.userId);
        const map = this.org.appUserAssignments.get(a.id) as Map<string, SimAppUserAssignment>;
        const add = c.type === 'app.user.assign';
        if (add && u.status === 'DEPROVISIONED') throw new SimChangeError(`user ${u.id} is DEPROVISIONED; Okta does not assign apps to deactivated users`);
        if (add === map.has(u.id)) throw new SimChangeError(`user ${u.id} is ${add ? 'already' : 'not'} directly assigned to app ${a.id}`);
        if (add) map.set(u.id, { appId: a.id, userId: u.id, status: 'ACTIVE', created: at, lastUpdated: at });
        else map.delete(u.id);
        const targets = [target.appUser(u), target.app(a), target.user(u)];
        return add
          ? ev('application.user_membership.add', 'app.generic.provision.assign_user_to_app', `Add user to application membership`, targets, `/api/v1/apps/${a.id}/users`)
          : ev('application.user_membership.remove', 'app.generic.unprovision.user', `Remove user from application membership`, targets, `/api/v1/apps/${a.id}/users/${u.id}`);
      }
      case 'app.group.assign':
      case 'app.group.unassign': {
        const a = this.app(c.appId);
        const g = this.group(c.groupId);
        const map = this.org.appGroupAssignments.get(a.id) as Map<string, SimAppGroupAssignment>;
        const add = c.type === 'app.group.assign';
        if (add === map.has(g.id)) throw new SimChangeError(`group ${g.id} is ${add ? 'already' : 'not'} assigned to app ${a.id}`);
        if (add) map.set(g.id, { appId: a.id, groupId: g.id, priority: map.size, lastUpdated: at });
        else map.delete(g.id);
        const name = add ? 'group.application_assignment.add' : 'group.application_assignment.remove';
        return ev(name, name, add ? 'Add assigned application to group' : 'Remove assigned application from group', [target.group(g), target.app(a)], `/api/v1/apps/${a.id}/groups/${g.id}`, { groupAppAssignmentId: `${a.id}_${g.id}` }, true);
      }
      case 'role.grant.user':
      case 'role.grant.group': {
        if (!STANDARD_ROLE_TYPES.includes(c.role)) throw new SimChangeError(`unknown standard role "${String(c.role)}"; use one of ${STANDARD_ROLE_TYPES.join(', ')}`);
        const isUser = c.type === 'role.grant.user';
        const principalId = isUser ? this.user(c.userId).id : this.group(c.groupId).id;
        const kind = isUser ? 'user' : 'group';
        if ([...this.org.roleAssignments.values()].some((r) => r.principalKind === kind && r.principalId === principalId && r.type === c.role)) {
          throw new SimChangeError(`${kind} ${principalId} already holds ${c.role}`);
        }
        const a: SimRoleAssignment = {
          id: this.ids.next(isUser ? 'ra1' : 'gra'), principalKind: kind, principalId, type: c.role, customRoleId: null, resourceSetId: null,
          label: STANDARD_ROLE_LABELS[c.role], status: 'ACTIVE', created: at, lastUpdated: at, groupTargets: [], appTargets: [],
        };
        this.org.roleAssignments.set(a.id, a);
        return this.privilegeEvent(kind, principalId, true, now, actor);
      }
      case 'role.revoke': {
        const a = this.org.roleAssignments.get(c.assignmentId);
        if (!a) throw new SimChangeError(`unknown role assignment id "${c.assignmentId}"; pick one from sim.org.roleAssignments`);
        if (a.principalKind === 'app') throw new SimChangeError('revoking service app roles is not modelled as a log event; revoke a user or group role');
        this.org.roleAssignments.delete(a.id);
        return this.privilegeEvent(a.principalKind, a.principalId, this.privilegesOf(a.principalKind, a.principalId).length > 0, now, actor);
      }
      case 'factor.activate': {
        const u = this.user(c.userId);
        const list = this.org.factors.get(u.id) ?? [];
        if (list.some((f) => f.factorType === c.factorType)) throw new SimChangeError(`user ${u.id} already has a ${c.factorType} factor`);
        list.push(makeFactor(this.ids, u, c.factorType, 'ACTIVE', at));
        this.org.factors.set(u.id, list);
        return ev('user.mfa.factor.activate', 'core.user.factor.activate', 'User set up MFA factor', [target.user(u)], `/api/v1/users/${u.id}/factors`, { factor: c.factorType });
      }
      case 'factor.deactivate': {
        const u = this.user(c.userId);
        const list = this.org.factors.get(u.id) ?? [];
        const f = list.find((x) => x.id === c.factorId);
        if (!f) throw new SimChangeError(`user ${u.id} has no factor "${c.factorId}"`);
        // Unenrolling push or signed_nonce also unenrolls the other Okta Verify factors (the spec's unenrollFactor).
        const okv = f.factorType === 'push' || f.factorType === 'signed_nonce';
        this.org.factors.set(u.id, list.filter((x) => x.id !== f.id && !(okv && (x.factorType === 'push' || x.factorType === 'signed_nonce'))));
        return ev('user.mfa.factor.deactivate', 'core.user.factor.deactivate', 'Reset factor for user', [target.user(u)], `/api/v1/users/${u.id}/factors/${f.id}`, { factor: f.factorType });
      }
      case 'factor.reset_all': {
        const u = this.user(c.userId);
        this.org.factors.delete(u.id);
        return ev('user.mfa.factor.reset_all', 'core.user.factor.reset_all', 'Reset all factors for user', [target.user(u)], `/api/v1/users/${u.id}/lifecycle/reset_factors`);
      }
      case 'user.sessions.clear': {
        // DELETE /api/v1/users/{id}/sessions; sessions themselves are not modelled, only the event.
        const u = this.user(c.userId);
        return ev('user.session.clear', 'core.user_auth.session_clear', 'Clear user session', [target.user(u)], `/api/v1/users/${u.id}/sessions`);
      }
    }
  }

  /**
   * The privileges a privilege event reports: a user's include those held through groups (Okta's
   * event catalogue: user.account.privilege.grant lists all current privileges, revoke fires when
   * none are left; https://developer.okta.com/docs/reference/api/event-types/).
   */
  private privilegesOf(kind: 'user' | 'group', principalId: string): SimRoleAssignment[] {
    return kind === 'user' ? userRoleListOf(this.org, principalId) : roleAssignmentsOf(this.org, 'group', principalId);
  }

  private privilegeEvent(kind: 'user' | 'group', principalId: string, granted: boolean, now: Date, actor: LogActor): OktaLogEvent {
    const current = this.privilegesOf(kind, principalId).map((r) => r.label).sort();
    const targets = kind === 'user' ? [target.user(this.user(principalId))] : [target.group(this.group(principalId))];
    const prefix = kind === 'user' ? 'user.account' : 'group';
    const requestUri = `/api/v1/${kind === 'user' ? 'users' : 'groups'}/${principalId}/roles`;
    return this.events.build({
      eventType: `${prefix}.privilege.${granted ? 'grant' : 'revoke'}`,
      legacyEventType: kind === 'user' ? `core.user.admin_privilege.${granted ? 'granted' : 'revoked'}` : null,
      displayMessage: `${granted ? 'Grant' : 'Revoke'} ${kind} privilege`,
      published: now, actor, target: targets, requestUri, url: `${requestUri}?`,
      debugData: granted ? { privilegeGranted: current.join(', ') } : {},
    });
  }

  /** A random change that is valid in the current org (deterministic per seed and call count). */
  private randomChange(): SimChange {
    const rng = this.rng;
    const users = [...this.org.users.values()];
    const pickUser = (pred: (u: SimUser) => boolean): SimUser | undefined => {
      for (let i = 0; i < 50; i++) {
        const u = users[rng.int(users.length)];
        if (u && pred(u)) return u;
      }
      return users.find(pred);
    };
    const okGroups = [...this.org.groups.values()].filter((g) => g.type === 'OKTA_GROUP');
    const apps = [...this.org.apps.values()].filter((a) => !a.isServiceApp);
    for (let attempt = 0; attempt < 20; attempt++) {
      const kind = rng.weighted({
        create: 8, deactivate: 6, suspend: 3, unsuspend: 2, activate: 3, delete: 2, lock: 2, profile: 10,
        memberAdd: 14, memberRemove: 8, appUser: 6, appUserRemove: 3, appGroup: 3, appGroupRemove: 2,
        roleUser: 3, roleGroup: 1, revoke: 2, factorAdd: 6, factorRemove: 3, factorReset: 2,
      });
      const active = (u: SimUser): boolean => u.status === 'ACTIVE';
      switch (kind) {
        case 'create': return { type: 'user.create', activate: rng.chance(0.8) };
        case 'deactivate': { const u = pickUser((x) => x.status !== 'DEPROVISIONED'); if (u) return { type: 'user.deactivate', userId: u.id }; break; }
        case 'suspend': { const u = pickUser(active); if (u) return { type: 'user.suspend', userId: u.id }; break; }
        case 'unsuspend': { const u = pickUser((x) => x.status === 'SUSPENDED'); if (u) return { type: 'user.unsuspend', userId: u.id }; break; }
        case 'activate': { const u = pickUser((x) => x.status === 'STAGED' || x.status === 'PROVISIONED'); if (u) return { type: 'user.activate', userId: u.id }; break; }
        case 'delete': { const u = pickUser((x) => x.status === 'DEPROVISIONED'); if (u) return { type: 'user.delete', userId: u.id }; break; }
        case 'lock': { const u = pickUser(active); if (u) return { type: 'user.lock', userId: u.id }; break; }
        case 'profile': { const u = pickUser(() => true); if (u) return { type: 'user.update_profile', userId: u.id, profile: { title: rng.pick(['Engineer', 'Manager', 'Analyst', 'Director']), department: rng.pick(['Engineering', 'Sales', 'Finance']) } }; break; }
        case 'memberAdd': {
          const g = okGroups.length ? rng.pick(okGroups) : undefined;
          const u = g && pickUser((x) => !this.org.groupMembers.get(g.id)?.has(x.id));
          if (g && u) return { type: 'group.member.add', groupId: g.id, userId: u.id };
          break;
        }
        case 'memberRemove': {
          const g = okGroups.length ? rng.pick(okGroups) : undefined;
          const members = g ? [...(this.org.groupMembers.get(g.id) ?? [])] : [];
          if (g && members.length) return { type: 'group.member.remove', groupId: g.id, userId: rng.pick(members) };
          break;
        }
        case 'appUser': {
          const a = apps.length ? rng.pick(apps) : undefined;
          const u = a && pickUser((x) => x.status !== 'DEPROVISIONED' && !this.org.appUserAssignments.get(a.id)?.has(x.id));
          if (a && u) return { type: 'app.user.assign', appId: a.id, userId: u.id };
          break;
        }
        case 'appUserRemove': {
          const a = apps.length ? rng.pick(apps) : undefined;
          const assigned = a ? [...(this.org.appUserAssignments.get(a.id)?.keys() ?? [])] : [];
          if (a && assigned.length) return { type: 'app.user.unassign', appId: a.id, userId: rng.pick(assigned) };
          break;
        }
        case 'appGroup': {
          const a = apps.length ? rng.pick(apps) : undefined;
          const g = okGroups.length ? rng.pick(okGroups) : undefined;
          if (a && g && !this.org.appGroupAssignments.get(a.id)?.has(g.id)) return { type: 'app.group.assign', appId: a.id, groupId: g.id };
          break;
        }
        case 'appGroupRemove': {
          const a = apps.length ? rng.pick(apps) : undefined;
          const assigned = a ? [...(this.org.appGroupAssignments.get(a.id)?.keys() ?? [])] : [];
          if (a && assigned.length) return { type: 'app.group.unassign', appId: a.id, groupId: rng.pick(assigned) };
          break;
        }
        case 'roleUser': {
          const role = rng.pick(['APP_ADMIN', 'HELP_DESK_ADMIN', 'READ_ONLY_ADMIN', 'REPORT_ADMIN'] as const);
          const u = pickUser((x) => active(x) && ![...this.org.roleAssignments.values()].some((r) => r.principalId === x.id && r.type === role));
          if (u) return { type: 'role.grant.user', userId: u.id, role };
          break;
        }
        case 'roleGroup': {
          const g = okGroups.length ? rng.pick(okGroups) : undefined;
          if (g && ![...this.org.roleAssignments.values()].some((r) => r.principalId === g.id && r.type === 'READ_ONLY_ADMIN')) return { type: 'role.grant.group', groupId: g.id, role: 'READ_ONLY_ADMIN' };
          break;
        }
        case 'revoke': {
          const revocable = [...this.org.roleAssignments.values()].filter((r) => r.principalKind !== 'app' && r.type !== 'SUPER_ADMIN' && r.type !== 'CUSTOM');
          if (revocable.length) return { type: 'role.revoke', assignmentId: rng.pick(revocable).id };
          break;
        }
        case 'factorAdd': {
          const t = rng.pick(['push', 'webauthn', 'sms', 'token:software:totp', 'email'] as const);
          const u = pickUser((x) => active(x) && !(this.org.factors.get(x.id) ?? []).some((f) => f.factorType === t));
          if (u) return { type: 'factor.activate', userId: u.id, factorType: t };
          break;
        }
        case 'factorRemove': {
          const u = pickUser((x) => (this.org.factors.get(x.id)?.length ?? 0) > 0);
          const f = u ? this.org.factors.get(u.id)?.[0] : undefined;
          if (u && f) return { type: 'factor.deactivate', userId: u.id, factorId: f.id };
          break;
        }
        case 'factorReset': {
          const u = pickUser((x) => (this.org.factors.get(x.id)?.length ?? 0) > 0);
          if (u) return { type: 'factor.reset_all', userId: u.id };
          break;
        }
      }
    }
    return { type: 'user.create', activate: true };
  }
}

