/**
 * SCIM provisioning (inbound, RFC 7643/7644): the per-integration bearer token, the Users and
 * Groups a provisioning client (Okta) wrote, and their projection into the graph. Knows nothing of
 * HTTP: the server parses requests and renders responses, and the graph changes of a write come
 * from a projector the caller passes (the pure mapping in @idgraph/normalize).
 *
 * Graph node of a resource (`graph_id`, fixed when the resource is created):
 * - a User: its externalId (Okta's SCIM client sends the Okta user id: the SCIM user IS the user
 *   API collection sees), else its SCIM id;
 * - a Group: its externalId, else the live Okta group of the same name that the API has read
 *   (Okta's group push sends no externalId; Okta group names are unique) when exactly one such
 *   group is not mapped yet, else its SCIM id.
 *
 * Writes and their graph changes commit together. Graph changes are stamped with the request's
 * time and follow the rules of System Log events (mutations.ts `applyPushedMutations`): the
 * API's state wins where they disagree. Deleting a resource tombstones its node only when the API
 * never read it (an app losing a user or group does not delete it in Okta).
 */
import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { mintBearerSecret, matchesStoredHash } from './api-keys.js';
import { applyPushedMutations, type DeferredRefresh } from './mutations.js';
import type { Executor } from './executor.js';
import { apiReadSql } from './export-format.js';
import type { GraphMutation } from './model.js';
import type { ScimResourceType } from './schema.js';
import { scimFilterSql, type ScimFilter } from './scim-filter.js';

/** A refusal the server answers as a SCIM error (status, scimType and this message as detail). */
export class ScimStoreError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly scimType: 'uniqueness' | 'invalidValue' | 'mutability' | null,
    message: string,
  ) {
    super(message);
    this.name = 'ScimStoreError';
  }
}

export interface ScimMemberRef {
  /** The member's (a User's) SCIM id. */
  value: string;
  /** The member's userName. */
  display: string | null;
}

export interface ScimRecord {
  id: string;
  resourceType: ScimResourceType;
  externalId: string | null;
  userName: string | null;
  displayName: string | null;
  active: boolean | null;
  graphId: string;
  /** The canonical resource as written, without id, meta, password, groups and members. */
  resource: Record<string, unknown>;
  version: number;
  created: Date;
  lastModified: Date;
  /** Groups (when asked for): the members, in id order. */
  members?: ScimMemberRef[];
  /** Users (when asked for): the Groups the user is a member of, in id order. */
  groups?: { value: string; display: string | null }[];
}

export interface ScimWrite {
  externalId: string | null;
  userName: string | null;
  displayName: string | null;
  active: boolean | null;
  resource: Record<string, unknown>;
  /** Groups: the member Users' SCIM ids (the whole new set); undefined leaves members as they are. */
  members?: string[];
}

/** What a write changed, for the projector. */
export interface ScimChange {
  before: ScimRecord | null;
  after: ScimRecord;
  /** Groups: graph ids of the member users this write added and removed. */
  membersAdded: string[];
  membersRemoved: string[];
}

export type ScimProjector = (change: ScimChange) => GraphMutation[];

export interface ScimListQuery {
  filter?: ScimFilter | undefined;
  /** 1-based. */
  startIndex: number;
  count: number;
  withMembers?: boolean;
  withGroups?: boolean;
}

export interface ScimWriteResult {
  record: ScimRecord;
  /** Graph changes set aside for a re-read (too close to the API's last read of their rows). */
  deferred: DeferredRefresh[];
}

const TOKEN_RE = /^idgs_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;
const UNIQUE_VIOLATION = '23505';

function pgError(err: unknown): { code?: string; constraint?: string } {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const x = e as { code?: unknown; constraint_name?: unknown; constraint?: unknown };
    if (typeof x.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code)) {
      const constraint = typeof x.constraint_name === 'string' ? x.constraint_name : typeof x.constraint === 'string' ? x.constraint : undefined;
      return { code: x.code, ...(constraint ? { constraint } : {}) };
    }
  }
  return {};
}

type Row = Record<string, unknown>;

const COLUMNS = sql.raw(
  `r."id", r."resource_type", r."external_id", r."user_name", r."display_name", r."active", r."graph_id", r."resource", r."version", r."created_at", r."updated_at"`,
);

function toRecord(r: Row): ScimRecord {
  const resource = typeof r.resource === 'string' ? (JSON.parse(r.resource) as Record<string, unknown>) : (r.resource as Record<string, unknown>);
  return {
    id: r.id as string,
    resourceType: r.resource_type as ScimResourceType,
    externalId: (r.external_id as string | null) ?? null,
    userName: (r.user_name as string | null) ?? null,
    displayName: (r.display_name as string | null) ?? null,
    active: r.active === null || r.active === undefined ? null : Boolean(r.active),
    graphId: r.graph_id as string,
    resource,
    version: Number(r.version),
    created: new Date(r.created_at as string),
    lastModified: new Date(r.updated_at as string),
  };
}

export class ScimRepo {
  constructor(
    private readonly exec: Executor,
    private readonly tenantId: string,
    private readonly ambiguityMs: number,
  ) {}

  private scope(integrationId: string): SQL {
    return sql`r."tenant_id" = ${this.tenantId} AND r."integration_id" = ${integrationId}::uuid`;
  }

  // ------------------------------------------------------------ bearer token

  /** Creates the integration's token or replaces it (the old one stops working at once); the only time it exists in clear. */
  async rotateToken(integrationId: string): Promise<string> {
    const { id, secret, hash } = mintBearerSecret('idgs');
    await this.exec.rows(sql`
      INSERT INTO "scim_tokens" ("tenant_id", "integration_id", "token_id", "token_hash")
      VALUES (${this.tenantId}, ${integrationId}::uuid, ${id}, ${hash})
      ON CONFLICT ("tenant_id", "integration_id") DO UPDATE SET "token_id" = excluded."token_id",
        "token_hash" = excluded."token_hash", "created_at" = now()`);
    return secret;
  }

  /** Removes the integration's token; true when there was one. */
  async revokeToken(integrationId: string): Promise<boolean> {
    const rows = await this.exec.rows(sql`
      DELETE FROM "scim_tokens" WHERE "tenant_id" = ${this.tenantId} AND "integration_id" = ${integrationId}::uuid RETURNING 1`);
    return rows.length > 0;
  }

  /** True when `presented` is the integration's live token (compared through its hash, in constant time). */
  async verifyToken(integrationId: string, presented: string): Promise<boolean> {
    const m = TOKEN_RE.exec(presented);
    if (!m) return false;
    const [row] = await this.exec.rows<{ token_id: string; token_hash: string }>(sql`
      SELECT "token_id", "token_hash" FROM "scim_tokens" WHERE "tenant_id" = ${this.tenantId} AND "integration_id" = ${integrationId}::uuid`);
    if (!row) return false;
    const hashOk = matchesStoredHash(presented, row.token_hash);
    return hashOk && row.token_id === m[1];
  }

  /** When the integration's token was created; undefined without one. */
  async tokenCreatedAt(integrationId: string): Promise<Date | undefined> {
    const [row] = await this.exec.rows<{ created_at: string }>(sql`
      SELECT "created_at" FROM "scim_tokens" WHERE "tenant_id" = ${this.tenantId} AND "integration_id" = ${integrationId}::uuid`);
    return row ? new Date(row.created_at) : undefined;
  }

  // ------------------------------------------------------------ reads

  async get(integrationId: string, type: ScimResourceType, id: string, opts: { withMembers?: boolean; withGroups?: boolean } = {}): Promise<ScimRecord | undefined> {
    const [row] = await this.exec.rows<Row>(sql`
      SELECT ${COLUMNS} FROM "scim_resources" r WHERE ${this.scope(integrationId)} AND r."resource_type" = ${type} AND r."id" = ${id}`);
    if (!row) return undefined;
    const record = toRecord(row);
    await this.attach(this.exec, integrationId, [record], opts);
    return record;
  }

  /** A page of resources in creation order (stable between pages), with the total matching the filter. */
  async list(integrationId: string, type: ScimResourceType, q: ScimListQuery): Promise<{ total: number; items: ScimRecord[] }> {
    const where = sql`${this.scope(integrationId)} AND r."resource_type" = ${type}${q.filter ? sql` AND ${scimFilterSql(type, q.filter)}` : sql``}`;
    const [count] = await this.exec.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM "scim_resources" r WHERE ${where}`);
    const total = Number(count?.n ?? 0);
    if (q.count <= 0 || q.startIndex > total) return { total, items: [] };
    const rows = await this.exec.rows<Row>(sql`
      SELECT ${COLUMNS} FROM "scim_resources" r WHERE ${where}
      ORDER BY r."seq" LIMIT ${q.count} OFFSET ${Math.max(q.startIndex, 1) - 1}`);
    const items = rows.map(toRecord);
    await this.attach(this.exec, integrationId, items, q);
    return { total, items };
  }

  /** Loads members of the groups and groups of the users among `records`, one query each. */
  private async attach(exec: Executor, integrationId: string, records: ScimRecord[], opts: { withMembers?: boolean | undefined; withGroups?: boolean | undefined }): Promise<void> {
    const groups = records.filter((r) => r.resourceType === 'Group');
    const users = records.filter((r) => r.resourceType === 'User');
    if (opts.withMembers && groups.length) {
      const rows = await exec.rows<{ group_id: string; user_id: string; user_name: string | null }>(sql`
        SELECT m."group_id", m."user_id", u."user_name" FROM "scim_members" m
        JOIN "scim_resources" u ON u."tenant_id" = m."tenant_id" AND u."integration_id" = m."integration_id" AND u."id" = m."user_id"
        WHERE m."tenant_id" = ${this.tenantId} AND m."integration_id" = ${integrationId}::uuid AND m."group_id" = ANY(${sql.param(groups.map((g) => g.id))}::text[])
        ORDER BY m."group_id", m."user_id"`);
      for (const g of groups) g.members = [];
      const byId = new Map(groups.map((g) => [g.id, g]));
      for (const r of rows) byId.get(r.group_id)?.members?.push({ value: r.user_id, display: r.user_name });
    }
    if (opts.withGroups && users.length) {
      const rows = await exec.rows<{ group_id: string; user_id: string; display_name: string | null }>(sql`
        SELECT m."group_id", m."user_id", g."display_name" FROM "scim_members" m
        JOIN "scim_resources" g ON g."tenant_id" = m."tenant_id" AND g."integration_id" = m."integration_id" AND g."id" = m."group_id"
        WHERE m."tenant_id" = ${this.tenantId} AND m."integration_id" = ${integrationId}::uuid AND m."user_id" = ANY(${sql.param(users.map((u) => u.id))}::text[])
        ORDER BY m."user_id", m."group_id"`);
      for (const u of users) u.groups = [];
      const byId = new Map(users.map((u) => [u.id, u]));
      for (const r of rows) byId.get(r.user_id)?.groups?.push({ value: r.group_id, display: r.display_name });
    }
  }

  // ------------------------------------------------------------ writes

  /** Creates a resource (201); 409 uniqueness when its userName (without case) or externalId is taken. */
  create(integrationId: string, type: ScimResourceType, input: ScimWrite, at: Date, project: ScimProjector): Promise<ScimWriteResult> {
    return this.write(integrationId, type, null, input, at, project);
  }

  /** Replaces a resource's attributes (PUT, or a PATCH applied by the caller); 404 when there is none. */
  replace(integrationId: string, type: ScimResourceType, id: string, input: ScimWrite, at: Date, project: ScimProjector): Promise<ScimWriteResult> {
    return this.write(integrationId, type, id, input, at, project);
  }

  private write(integrationId: string, type: ScimResourceType, id: string | null, input: ScimWrite, at: Date, project: ScimProjector): Promise<ScimWriteResult> {
    return this.exec.tx(async (tx) => {
      let before: ScimRecord | null = null;
      if (id !== null) {
        const [row] = await tx.rows<Row>(sql`
          SELECT ${COLUMNS} FROM "scim_resources" r WHERE ${this.scope(integrationId)} AND r."resource_type" = ${type} AND r."id" = ${id} FOR UPDATE`);
        if (!row) throw new ScimStoreError(404, null, `no ${type} with id "${id}" here`);
        before = toRecord(row);
        // externalId names the Okta object the resource is (its graph node): once set it stays,
        // also when a replace omits it (Okta's PUT repeats what GET answered, which may lack it).
        if (before.externalId !== null && input.externalId !== null && input.externalId !== before.externalId) {
          throw new ScimStoreError(400, 'mutability', `externalId of ${type} "${id}" is "${before.externalId}", the Okta object it was provisioned as; it cannot change (delete this ${type} and create a new one)`);
        }
        if (input.externalId === null && before.externalId !== null) input = { ...input, externalId: before.externalId };
      }
      const newId = before?.id ?? randomUUID();
      const members = type === 'Group' && input.members !== undefined ? await this.memberUsers(tx, integrationId, input.members) : null;
      const graphId = before?.graphId ?? (await this.graphIdFor(tx, integrationId, type, newId, input));

      const saved = await tx
        .tx(async (sp) => {
          const rows =
            before === null
              ? await sp.rows<Row>(sql`
                  INSERT INTO "scim_resources" AS r ("tenant_id", "integration_id", "id", "resource_type", "external_id", "user_name", "display_name", "active", "graph_id", "resource")
                  VALUES (${this.tenantId}, ${integrationId}::uuid, ${newId}, ${type}, ${input.externalId}, ${input.userName}, ${input.displayName}, ${input.active},
                    ${graphId}, ${JSON.stringify(input.resource)}::jsonb)
                  RETURNING ${COLUMNS}`)
              : await sp.rows<Row>(sql`
                  UPDATE "scim_resources" r SET "external_id" = ${input.externalId}, "user_name" = ${input.userName}, "display_name" = ${input.displayName},
                    "active" = ${input.active}, "resource" = ${JSON.stringify(input.resource)}::jsonb, "version" = r."version" + 1, "updated_at" = now()
                  WHERE ${this.scope(integrationId)} AND r."id" = ${newId}
                  RETURNING ${COLUMNS}`);
          return toRecord(rows[0]!);
        })
        .catch((err: unknown) => {
          const e = pgError(err);
          if (e.code !== UNIQUE_VIOLATION) throw err;
          if (e.constraint === 'scim_resources_user_name_unique') {
            throw new ScimStoreError(409, 'uniqueness', `a User with userName "${input.userName}" exists already (userName is compared without case)`);
          }
          if (input.externalId !== null) {
            throw new ScimStoreError(409, 'uniqueness', `a ${type} with externalId "${input.externalId}" exists already: it is the same ${type === 'User' ? 'person' : 'group'}`);
          }
          throw new ScimStoreError(409, 'uniqueness', `another ${type} was just created for the same graph node; retry the request`);
        });

      let membersAdded: string[] = [];
      let membersRemoved: string[] = [];
      if (members !== null) {
        const current = await tx.rows<{ user_id: string; graph_id: string }>(sql`
          SELECT m."user_id", u."graph_id" FROM "scim_members" m
          JOIN "scim_resources" u ON u."tenant_id" = m."tenant_id" AND u."integration_id" = m."integration_id" AND u."id" = m."user_id"
          WHERE m."tenant_id" = ${this.tenantId} AND m."integration_id" = ${integrationId}::uuid AND m."group_id" = ${newId}`);
        const had = new Map(current.map((c) => [c.user_id, c.graph_id]));
        const added = [...members.entries()].filter(([userId]) => !had.has(userId));
        const removed = [...had.entries()].filter(([userId]) => !members.has(userId));
        if (removed.length) {
          await tx.rows(sql`
            DELETE FROM "scim_members" WHERE "tenant_id" = ${this.tenantId} AND "integration_id" = ${integrationId}::uuid AND "group_id" = ${newId}
              AND "user_id" = ANY(${sql.param(removed.map(([u]) => u))}::text[])`);
        }
        if (added.length) {
          await tx.rows(sql`
            INSERT INTO "scim_members" ("tenant_id", "integration_id", "group_id", "user_id")
            SELECT ${this.tenantId}, ${integrationId}::uuid, ${newId}, u FROM unnest(${sql.param(added.map(([u]) => u))}::text[]) AS u
            ON CONFLICT DO NOTHING`);
        }
        membersAdded = added.map(([, g]) => g);
        membersRemoved = removed.map(([, g]) => g);
      }

      const mutations = project({ before, after: saved, membersAdded, membersRemoved });
      const deferred = await this.applyToGraph(tx, integrationId, mutations);
      await this.attach(tx, integrationId, [saved], { withMembers: type === 'Group', withGroups: type === 'User' });
      return { record: saved, deferred };
    });
  }

  /**
   * Deletes a resource (its memberships go with it). Its node is tombstoned when the API never read
   * it; a User's SCIM memberships are removed from the graph as membership removals.
   */
  delete(integrationId: string, type: ScimResourceType, id: string, at: Date): Promise<void> {
    return this.exec.tx(async (tx) => {
      const [row] = await tx.rows<Row>(sql`
        SELECT ${COLUMNS} FROM "scim_resources" r WHERE ${this.scope(integrationId)} AND r."resource_type" = ${type} AND r."id" = ${id} FOR UPDATE`);
      if (!row) throw new ScimStoreError(404, null, `no ${type} with id "${id}" here`);
      const record = toRecord(row);
      const mutations: GraphMutation[] = [];
      if (type === 'User') {
        const groups = await tx.rows<{ graph_id: string }>(sql`
          SELECT g."graph_id" FROM "scim_members" m
          JOIN "scim_resources" g ON g."tenant_id" = m."tenant_id" AND g."integration_id" = m."integration_id" AND g."id" = m."group_id"
          WHERE m."tenant_id" = ${this.tenantId} AND m."integration_id" = ${integrationId}::uuid AND m."user_id" = ${id}`);
        for (const g of groups) mutations.push({ kind: 'membership.remove', at, userId: record.graphId, groupId: g.graph_id });
      }
      const table = type === 'User' ? 'users' : 'groups';
      const [node] = await tx.rows<{ api_read: boolean }>(sql`
        SELECT ${sql.raw(apiReadSql(''))} AS api_read FROM ${sql.raw(`"${table}"`)}
        WHERE "tenant_id" = ${this.tenantId} AND "integration_id" = ${integrationId}::uuid AND "okta_id" = ${record.graphId}`);
      if (node && node.api_read !== true) {
        mutations.push(type === 'User' ? { kind: 'user.delete', at, userId: record.graphId } : { kind: 'group.delete', at, groupId: record.graphId });
      }
      await tx.rows(sql`DELETE FROM "scim_resources" r WHERE ${this.scope(integrationId)} AND r."id" = ${id}`);
      await this.applyToGraph(tx, integrationId, mutations);
    });
  }

  /** The member Users (SCIM id → graph id); 400 invalidValue naming ids that are not Users here. */
  private async memberUsers(exec: Executor, integrationId: string, ids: string[]): Promise<Map<string, string>> {
    const wanted = [...new Set(ids)];
    if (!wanted.length) return new Map();
    const rows = await exec.rows<{ id: string; graph_id: string }>(sql`
      SELECT r."id", r."graph_id" FROM "scim_resources" r
      WHERE ${this.scope(integrationId)} AND r."resource_type" = 'User' AND r."id" = ANY(${sql.param(wanted)}::text[])`);
    const found = new Map(rows.map((r) => [r.id, r.graph_id]));
    const missing = wanted.filter((w) => !found.has(w));
    if (missing.length) {
      const shown = missing.slice(0, 3).map((m) => `"${m}"`).join(', ');
      throw new ScimStoreError(
        400,
        'invalidValue',
        `members must be Users of this SCIM endpoint, by the id their creation answered; no User ${shown}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`,
      );
    }
    return found;
  }

  private async graphIdFor(exec: Executor, integrationId: string, type: ScimResourceType, scimId: string, input: ScimWrite): Promise<string> {
    if (input.externalId) return input.externalId;
    if (type === 'User' || !input.displayName) return scimId;
    const rows = await exec.rows<{ okta_id: string }>(sql`
      SELECT g."okta_id" FROM "groups" g
      WHERE g."tenant_id" = ${this.tenantId} AND g."integration_id" = ${integrationId}::uuid AND g."name" = ${input.displayName}
        AND g."group_type" = 'OKTA_GROUP' AND g."deleted_at" IS NULL AND ${sql.raw(apiReadSql('g'))}
        AND NOT EXISTS (SELECT 1 FROM "scim_resources" r WHERE ${this.scope(integrationId)} AND r."resource_type" = 'Group' AND r."graph_id" = g."okta_id")
      LIMIT 2`);
    return rows.length === 1 ? rows[0]!.okta_id : scimId;
  }

  /** Applies the graph changes and marks every row they name as arrived through SCIM. */
  private async applyToGraph(exec: Executor, integrationId: string, mutations: GraphMutation[]): Promise<DeferredRefresh[]> {
    if (!mutations.length) return [];
    const deferred = await applyPushedMutations(exec, this.tenantId, integrationId, mutations, { ambiguityMs: this.ambiguityMs });
    const users = new Set<string>();
    const groups = new Set<string>();
    const edges = new Map<string, [string, string]>();
    for (const m of mutations) {
      if (m.kind === 'user.upsert') users.add(m.user.oktaId);
      else if (m.kind === 'user.status' || m.kind === 'user.delete') users.add(m.userId);
      else if (m.kind === 'group.upsert') groups.add(m.group.oktaId);
      else if (m.kind === 'group.delete') groups.add(m.groupId);
      else if (m.kind === 'membership.add' || m.kind === 'membership.remove') edges.set(`${m.userId}\u0000${m.groupId}`, [m.userId, m.groupId]);
    }
    const scope = sql`"tenant_id" = ${this.tenantId} AND "integration_id" = ${integrationId}::uuid AND NOT "via_scim"`;
    if (users.size) await exec.rows(sql`UPDATE "users" SET "via_scim" = true WHERE ${scope} AND "okta_id" = ANY(${sql.param([...users])}::text[])`);
    if (groups.size) await exec.rows(sql`UPDATE "groups" SET "via_scim" = true WHERE ${scope} AND "okta_id" = ANY(${sql.param([...groups])}::text[])`);
    if (edges.size) {
      const pairs = [...edges.values()];
      await exec.rows(sql`
        UPDATE "group_memberships" t SET "via_scim" = true
        FROM unnest(${sql.param(pairs.map((p) => p[0]))}::text[], ${sql.param(pairs.map((p) => p[1]))}::text[]) AS x(u, g)
        WHERE t."tenant_id" = ${this.tenantId} AND t."integration_id" = ${integrationId}::uuid AND NOT t."via_scim" AND t."user_id" = x.u AND t."group_id" = x.g`);
    }
    return deferred;
  }
}
