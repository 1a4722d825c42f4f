/**
 * Integrations (an Okta org plus its credentials) of one tenant. Secrets are sealed before
 * they reach the database and are never part of the objects returned here.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from './executor.js';
import * as schema from './schema.js';
import type { IntegrationSchedule } from './schema.js';
import { sealedKeyFingerprint, type SealedSecretsSummary, type SecretBinding, type SecretBox } from './secrets.js';

export type AuthMethod = 'ssws' | 'oauth';

/** What an SSWS integration stores ({token}) or an OAuth one ({privateKeyPem}). */
export type IntegrationSecrets = { token: string } | { privateKeyPem: string };

export interface Integration {
  id: string;
  tenantId: string;
  name: string;
  orgUrl: string;
  authMethod: AuthMethod;
  clientId: string | null;
  keyId: string | null;
  allowHttp: boolean;
  /** Remediation actions may act through this integration (false = read-only). */
  allowActions: boolean;
  eventSource: string | null;
  /** OAuth scopes to request; null = the read scopes idgraph needs. */
  scopes: string[] | null;
  schedule: IntegrationSchedule | null;
  lastConnectivity: unknown;
  lastConnectivityAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewIntegration {
  name: string;
  orgUrl: string;
  authMethod: AuthMethod;
  clientId?: string | null | undefined;
  keyId?: string | null | undefined;
  secrets: IntegrationSecrets;
  allowHttp: boolean;
  /** Default false: read-only. */
  allowActions?: boolean | undefined;
  eventSource?: string | null | undefined;
  scopes?: string[] | null | undefined;
  schedule?: IntegrationSchedule | null | undefined;
}

export type IntegrationPatch = Partial<NewIntegration>;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_SOURCE_RE = /^aws\.partner\/okta\.com\/[^/\s]+\/[^/\s]+$/;

const publicColumns = {
  id: schema.integrations.id,
  tenantId: schema.integrations.tenantId,
  name: schema.integrations.name,
  orgUrl: schema.integrations.orgUrl,
  authMethod: schema.integrations.authMethod,
  clientId: schema.integrations.clientId,
  keyId: schema.integrations.keyId,
  allowHttp: schema.integrations.allowHttp,
  allowActions: schema.integrations.allowActions,
  eventSource: schema.integrations.eventSource,
  scopes: schema.integrations.scopes,
  schedule: schema.integrations.schedule,
  lastConnectivity: schema.integrations.lastConnectivity,
  lastConnectivityAt: schema.integrations.lastConnectivityAt,
  createdAt: schema.integrations.createdAt,
  updatedAt: schema.integrations.updatedAt,
};

/**
 * Sealed secrets of every tenant (one key serves the whole database): how many, and the key
 * fingerprints recorded in them. Read from the JWE headers; nothing is decrypted.
 */
export async function sealedSecretsSummary(exec: Executor): Promise<SealedSecretsSummary> {
  const rows = await exec.rows<{ header: string }>(sql`SELECT split_part("secrets_enc", '.', 1) AS header FROM "integrations"`);
  const fingerprints = new Set<string>();
  for (const r of rows) {
    const fp = sealedKeyFingerprint(`${r.header}....`);
    if (fp) fingerprints.add(fp);
  }
  return { count: rows.length, fingerprints: [...fingerprints].sort() };
}

/** Checks a complete integration definition; throws naming the field and the fix. */
export function validateIntegration(i: NewIntegration): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(i.name ?? '')) {
    throw new Error(`integration name ${JSON.stringify(i.name)} is invalid: use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  let url: URL;
  try {
    url = new URL(i.orgUrl);
  } catch {
    throw new Error(`orgUrl ${JSON.stringify(String(i.orgUrl).replace(/\/\/[^@/]*@/, '//***@'))} is not a URL: expected e.g. https://example.okta.com`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && i.allowHttp)) {
    throw new Error(`orgUrl must use https:// (http:// only with allowHttp, for local simulators), got ${url.protocol}//`);
  }
  // Only scheme, host and port: the secrets are bound to this exact URL and sent to it.
  if (url.username || url.password) {
    throw new Error(`orgUrl contains a user name or password (${url.protocol}//***@${url.host}): give only the org, ${url.origin}, and the credentials in secrets`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new Error(`orgUrl ${url.origin}${url.pathname}${url.search ? '?…' : ''} has a path, query or fragment: give only the org's base URL, ${url.origin}`);
  }
  if (i.authMethod === 'ssws') {
    if (!('token' in i.secrets) || typeof i.secrets.token !== 'string' || !i.secrets.token) {
      throw new Error('an ssws integration needs secrets.token (the Okta API token)');
    }
  } else if (i.authMethod === 'oauth') {
    if (!i.clientId) throw new Error('an oauth integration needs clientId (the service app\'s client id)');
    if (!i.keyId) throw new Error('an oauth integration needs keyId (the kid of the service app\'s public key)');
    if (!('privateKeyPem' in i.secrets) || typeof i.secrets.privateKeyPem !== 'string' || !i.secrets.privateKeyPem) {
      throw new Error('an oauth integration needs secrets.privateKeyPem (the service app\'s private key, PEM)');
    }
  } else {
    throw new Error(`authMethod must be 'ssws' or 'oauth', got ${JSON.stringify(i.authMethod)}`);
  }
  if (i.eventSource != null && !EVENT_SOURCE_RE.test(i.eventSource)) {
    throw new Error(`eventSource ${JSON.stringify(i.eventSource)} is invalid: expected aws.partner/okta.com/ORG/STREAM`);
  }
  if (i.scopes != null) {
    if (i.authMethod !== 'oauth') throw new Error('scopes apply to OAuth service apps only (an API token acts with its admin\'s role)');
    if (i.scopes.length === 0) throw new Error('scopes must list at least one scope, or be null for the default read scopes');
    const bad = i.scopes.filter((s) => !/^okta\.[A-Za-z]+(\.[A-Za-z]+)+$/.test(s));
    if (bad.length) throw new Error(`scopes ${bad.map((s) => JSON.stringify(s)).join(', ')} are not Okta API scopes: expected names like okta.users.read`);
  }
  if (i.schedule != null) {
    for (const k of ['fullIntervalMinutes', 'incrementalIntervalMinutes', 'factorsIntervalMinutes', 'logBackfillDays'] as const) {
      const v = i.schedule[k];
      if (!Number.isInteger(v) || v < 0) throw new Error(`schedule.${k} must be a non-negative integer, got ${JSON.stringify(v)}`);
    }
  }
}

export class IntegrationRepo {
  constructor(
    private readonly exec: Executor,
    private readonly tenantId: string,
    private readonly secretBox: () => Promise<SecretBox>,
  ) {}

  private binding(id: string, i: { orgUrl: string; authMethod: string; clientId?: string | null | undefined }): SecretBinding {
    return { tenantId: this.tenantId, integrationId: id, orgUrl: i.orgUrl, authMethod: i.authMethod, clientId: i.clientId ?? null };
  }

  private async assertFree(name: string, eventSource: string | null | undefined, exceptId?: string): Promise<void> {
    const sameName = await this.find(name);
    if (sameName && sameName.id !== exceptId) throw new Error(`an integration named "${name}" exists already`);
    if (eventSource) {
      const owner = await this.eventSourceOwner(eventSource);
      if (owner && owner.id !== exceptId) {
        const whose = owner.tenantId === this.tenantId ? `integration "${owner.name}"` : 'an integration of another tenant';
        throw new Error(`event source ${eventSource} is already used by ${whose}`);
      }
    }
  }

  async create(input: NewIntegration): Promise<Integration> {
    validateIntegration(input);
    await this.assertFree(input.name, input.eventSource);
    // The id is chosen here, not by the database, because the sealed secrets are bound to it.
    const id = randomUUID();
    const secretsEnc = await (await this.secretBox()).seal(input.secrets, this.binding(id, input));
    const [row] = await this.exec.db
      .insert(schema.integrations)
      .values({
        tenantId: this.tenantId,
        id,
        name: input.name,
        orgUrl: input.orgUrl,
        authMethod: input.authMethod,
        clientId: input.clientId ?? null,
        keyId: input.keyId ?? null,
        secretsEnc,
        allowHttp: input.allowHttp,
        allowActions: input.allowActions ?? false,
        eventSource: input.eventSource ?? null,
        scopes: input.scopes ?? null,
        schedule: input.schedule ?? null,
      })
      .returning(publicColumns)
      .catch((err: unknown) => this.explainConflict(err, input.name, input.eventSource));
    return row as Integration;
  }

  /** Two processes adding the same name at once: the loser gets the same message as a pre-check. */
  private explainConflict(err: unknown, name: string, eventSource: string | null | undefined): never {
    const code = (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
    if (code === '23505') {
      throw new Error(`an integration named "${name}"${eventSource ? ` or with event source ${eventSource}` : ''} exists already`);
    }
    throw err;
  }

  async update(nameOrId: string, patch: IntegrationPatch): Promise<Integration> {
    const current = await this.find(nameOrId);
    if (!current) throw new Error(`no integration named "${nameOrId}"`);
    // New credentials replace the stored ones without opening them: that is also how secrets refused
    // for a changed row (or sealed with a lost key) are stored again.
    const secrets = patch.secrets ?? (await this.secrets(current));
    const merged: NewIntegration = {
      name: patch.name ?? current.name,
      orgUrl: patch.orgUrl ?? current.orgUrl,
      authMethod: patch.authMethod ?? current.authMethod,
      clientId: patch.clientId !== undefined ? patch.clientId : current.clientId,
      keyId: patch.keyId !== undefined ? patch.keyId : current.keyId,
      secrets,
      allowHttp: patch.allowHttp ?? current.allowHttp,
      allowActions: patch.allowActions ?? current.allowActions,
      eventSource: patch.eventSource !== undefined ? patch.eventSource : current.eventSource,
      scopes: patch.scopes !== undefined ? patch.scopes : current.scopes,
      schedule: patch.schedule !== undefined ? patch.schedule : current.schedule,
    };
    validateIntegration(merged);
    await this.assertFree(merged.name, merged.eventSource, current.id);
    const [row] = await this.exec.db
      .update(schema.integrations)
      .set({
        name: merged.name,
        orgUrl: merged.orgUrl,
        authMethod: merged.authMethod,
        clientId: merged.clientId ?? null,
        keyId: merged.keyId ?? null,
        // Sealed again on every update: the secrets stay bound to the org URL, auth method and client id they are used with.
        secretsEnc: await (await this.secretBox()).seal(merged.secrets, this.binding(current.id, merged)),
        allowHttp: merged.allowHttp,
        allowActions: merged.allowActions ?? false,
        eventSource: merged.eventSource ?? null,
        scopes: merged.scopes ?? null,
        schedule: merged.schedule ?? null,
        updatedAt: new Date(),
      })
      .where(and(eq(schema.integrations.tenantId, this.tenantId), eq(schema.integrations.id, current.id)))
      .returning(publicColumns)
      .catch((err: unknown) => this.explainConflict(err, merged.name, merged.eventSource));
    return row as Integration;
  }

  /** By name, or by id when given a uuid. */
  async find(nameOrId: string): Promise<Integration | undefined> {
    if (!UUID_RE.test(nameOrId)) {
      const [byName] = await this.byNameQuery().execute({ tenantId: this.tenantId, name: nameOrId });
      return byName as Integration | undefined;
    }
    const t = schema.integrations;
    const match = sql`(${t.id} = ${nameOrId}::uuid OR ${t.name} = ${nameOrId})`;
    const [row] = await this.exec.db.select(publicColumns).from(t).where(and(eq(t.tenantId, this.tenantId), match)).limit(1);
    return row as Integration | undefined;
  }

  private byName: ReturnType<IntegrationRepo['prepareByName']> | undefined;

  /** By name, as a prepared statement: every API request names its integration. */
  private byNameQuery() {
    return (this.byName ??= this.prepareByName());
  }

  private prepareByName() {
    const t = schema.integrations;
    return this.exec.db
      .select(publicColumns)
      .from(t)
      .where(and(eq(t.tenantId, sql.placeholder('tenantId')), eq(t.name, sql.placeholder('name'))))
      .limit(1)
      .prepare('integration_by_name');
  }

  async list(): Promise<Integration[]> {
    const t = schema.integrations;
    const rows = await this.exec.db.select(publicColumns).from(t).where(eq(t.tenantId, this.tenantId)).orderBy(asc(t.name));
    return rows as Integration[];
  }

  /** This tenant's integration with the event source (the stream consumer routes by it). */
  async byEventSource(source: string): Promise<Integration | undefined> {
    const t = schema.integrations;
    const [row] = await this.exec.db
      .select(publicColumns)
      .from(t)
      .where(and(eq(t.tenantId, this.tenantId), eq(t.eventSource, source)))
      .limit(1);
    return row as Integration | undefined;
  }

  /** Event sources are unique across tenants (one Okta stream feeds one integration). */
  private async eventSourceOwner(source: string): Promise<{ id: string; name: string; tenantId: string } | undefined> {
    const t = schema.integrations;
    const [row] = await this.exec.db.select({ id: t.id, name: t.name, tenantId: t.tenantId }).from(t).where(eq(t.eventSource, source)).limit(1);
    return row;
  }

  /**
   * Opens the integration's secrets, checking they are bound to the row as it is now. Secrets sealed
   * before binding existed are bound on first use to the row as read, provided the row is unchanged
   * since (compare-and-set), so every later open is checked.
   */
  async secrets(integration: { id: string }): Promise<IntegrationSecrets> {
    const t = schema.integrations;
    const [row] = await this.exec.db
      .select({ secretsEnc: t.secretsEnc, orgUrl: t.orgUrl, authMethod: t.authMethod, clientId: t.clientId })
      .from(t)
      .where(and(eq(t.tenantId, this.tenantId), eq(t.id, integration.id)));
    if (!row) throw new Error(`no integration with id ${integration.id} in this tenant`);
    const box = await this.secretBox();
    const binding = this.binding(integration.id, row);
    const opened = await box.open<IntegrationSecrets>(row.secretsEnc, binding);
    if (opened.unbound) {
      const resealed = await box.seal(opened.value, binding);
      await this.exec.db
        .update(t)
        .set({ secretsEnc: resealed })
        .where(
          and(
            eq(t.tenantId, this.tenantId),
            eq(t.id, integration.id),
            eq(t.secretsEnc, row.secretsEnc),
            eq(t.orgUrl, row.orgUrl),
            eq(t.authMethod, row.authMethod),
            row.clientId === null ? isNull(t.clientId) : eq(t.clientId, row.clientId),
          ),
        );
    }
    return opened.value;
  }

  async recordConnectivity(integrationId: string, report: unknown, at = new Date()): Promise<void> {
    const t = schema.integrations;
    await this.exec.db
      .update(t)
      .set({ lastConnectivity: report, lastConnectivityAt: at, updatedAt: at })
      .where(and(eq(t.tenantId, this.tenantId), eq(t.id, integrationId)));
  }
}
