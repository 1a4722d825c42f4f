/**
 * A small hand-built graph for posture unit tests, written straight into the schema's tables
 * (the store is not needed to test SQL). Every row is live unless `deleted` is set.
 */
import { randomUUID } from 'node:crypto';
import { schema, type GraphDb } from '@idgraph/graph';

const DAY = 86_400_000;

export interface FixtureIntegration {
  tenantId: string;
  integrationId: string;
  name: string;
}

export class GraphFixture {
  readonly users: (typeof schema.users.$inferInsert)[] = [];
  readonly groups: (typeof schema.groups.$inferInsert)[] = [];
  readonly apps: (typeof schema.apps.$inferInsert)[] = [];
  readonly factors: (typeof schema.factors.$inferInsert)[] = [];
  readonly memberships: (typeof schema.groupMemberships.$inferInsert)[] = [];
  readonly appUsers: (typeof schema.appUserAssignments.$inferInsert)[] = [];
  readonly appGroups: (typeof schema.appGroupAssignments.$inferInsert)[] = [];
  readonly roles: (typeof schema.roleAssignments.$inferInsert)[] = [];
  readonly credentials: (typeof schema.appCredentials.$inferInsert)[] = [];
  readonly tokens: (typeof schema.apiTokens.$inferInsert)[] = [];
  readonly rules: (typeof schema.groupRules.$inferInsert)[] = [];
  readonly ruleTargets: (typeof schema.groupRuleTargets.$inferInsert)[] = [];
  private factorSeq = 0;

  constructor(
    readonly scope: FixtureIntegration,
    readonly now: Date,
  ) {}

  daysAgo(days: number): Date {
    return new Date(this.now.getTime() - days * DAY);
  }

  private base(deleted?: boolean) {
    return {
      tenantId: this.scope.tenantId,
      integrationId: this.scope.integrationId,
      sourceUpdatedAt: this.daysAgo(1),
      deletedAt: deleted ? this.daysAgo(1) : null,
    };
  }

  user(
    id: string,
    o: Partial<{ status: string; lastLoginDays: number | null; createdDays: number; passwordDays: number | null; provider: string; statusChangedDays: number; deleted: boolean }> = {},
  ): string {
    this.users.push({
      ...this.base(o.deleted),
      oktaId: id,
      status: o.status ?? 'ACTIVE',
      login: `${id}@example.com`,
      created: this.daysAgo(o.createdDays ?? 500),
      statusChanged: o.statusChangedDays === undefined ? null : this.daysAgo(o.statusChangedDays),
      lastLogin: o.lastLoginDays === null ? null : this.daysAgo(o.lastLoginDays ?? 1),
      passwordChanged: o.passwordDays === null ? null : this.daysAgo(o.passwordDays ?? 10),
      credentialProvider: o.provider ?? 'OKTA',
    });
    return id;
  }

  factor(userId: string, factorType: string, status = 'ACTIVE', deleted = false): void {
    this.factors.push({ ...this.base(deleted), oktaId: `fct${String(++this.factorSeq).padStart(6, '0')}`, userId, factorType, status });
  }

  /** webauthn + push: an account no factor check complains about. */
  strongFactors(userId: string): void {
    this.factor(userId, 'webauthn');
    this.factor(userId, 'push');
  }

  group(id: string, name: string, groupType = 'OKTA_GROUP', deleted = false): string {
    this.groups.push({ ...this.base(deleted), oktaId: id, name, groupType });
    return id;
  }

  member(userId: string, groupId: string, deleted = false): void {
    this.memberships.push({ ...this.base(deleted), userId, groupId });
  }

  app(id: string, o: Partial<{ status: string; service: boolean; clientId: string; label: string; deleted: boolean }> = {}): string {
    this.apps.push({
      ...this.base(o.deleted),
      oktaId: id,
      name: o.service ? 'oidc_client' : 'saml_app',
      label: o.label ?? `App ${id}`,
      status: o.status ?? 'ACTIVE',
      signOnMode: o.service ? 'OPENID_CONNECT' : 'SAML_2_0',
      clientId: o.clientId ?? null,
      isServiceApp: o.service ?? false,
    });
    return id;
  }

  assignUser(appId: string, userId: string, scope = 'USER', deleted = false): void {
    this.appUsers.push({ ...this.base(deleted), appId, userId, scope, status: 'ACTIVE' });
  }

  assignGroup(appId: string, groupId: string, deleted = false): void {
    this.appGroups.push({ ...this.base(deleted), appId, groupId, priority: 0 });
  }

  role(principalKind: 'user' | 'group' | 'app', principalId: string, roleId: string, o: { resourceSetId?: string; deleted?: boolean } = {}): void {
    this.roles.push({ ...this.base(o.deleted), principalKind, principalId, roleId, resourceSetId: o.resourceSetId ?? '', status: 'ACTIVE' });
  }

  /** An OAuth client credential of an app (metadata: whether a client secret exists). */
  credential(appId: string, credentialType: 'client_secret' | 'jwk', o: { status?: string; deleted?: boolean } = {}): void {
    this.credentials.push({ ...this.base(o.deleted), appId, credentialId: `ocs${appId}${this.credentials.length}`, credentialType, status: o.status ?? 'ACTIVE' });
  }

  token(id: string, userId: string, name: string, deleted = false): void {
    this.tokens.push({ ...this.base(deleted), oktaId: id, userId, name });
  }

  rule(id: string, o: { status?: string; expression: string; targets: string[]; deleted?: boolean }): void {
    this.rules.push({ ...this.base(o.deleted), oktaId: id, name: `Rule ${id}`, status: o.status ?? 'ACTIVE', expression: o.expression });
    for (const groupId of o.targets) this.ruleTargets.push({ ...this.base(o.deleted), ruleId: id, groupId });
  }

  async write(gdb: GraphDb): Promise<void> {
    const db = gdb.db;
    const chunks: [Parameters<typeof db.insert>[0], unknown[]][] = [
      [schema.users, this.users],
      [schema.groups, this.groups],
      [schema.apps, this.apps],
      [schema.factors, this.factors],
      [schema.groupMemberships, this.memberships],
      [schema.appUserAssignments, this.appUsers],
      [schema.appGroupAssignments, this.appGroups],
      [schema.roleAssignments, this.roles],
      [schema.appCredentials, this.credentials],
      [schema.apiTokens, this.tokens],
      [schema.groupRules, this.rules],
      [schema.groupRuleTargets, this.ruleTargets],
    ];
    for (const [table, rows] of chunks) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      if (rows.length) await db.insert(table).values(rows as any);
    }
  }
}

export async function createFixtureIntegration(gdb: GraphDb, tenantId: string, name: string, orgUrl: string): Promise<FixtureIntegration> {
  const integrationId = randomUUID();
  await gdb.db.insert(schema.tenants).values({ id: tenantId, name: tenantId }).onConflictDoNothing();
  await gdb.db.insert(schema.integrations).values({
    tenantId,
    id: integrationId,
    name,
    orgUrl,
    authMethod: 'ssws',
    secretsEnc: 'not-a-real-jwe (posture tests never decrypt)',
  });
  return { tenantId, integrationId, name };
}
