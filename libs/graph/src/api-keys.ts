/**
 * Keys of the operator API. A key reads `idgk_<keyId>_<secret>`: keyId (12 hex) finds the row,
 * the secret is 32 random bytes; only SHA-256 of the whole key is stored, and a presented key is
 * compared with it in constant time. Plain SHA-256 suffices here (no slow KDF): the secret has
 * 256 bits of entropy, so there is nothing to brute-force, unlike a password.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Executor } from './executor.js';
import * as schema from './schema.js';
import { API_KEY_ROLES, type ApiKeyRole } from './schema.js';

export interface ApiKeyInfo {
  name: string;
  keyId: string;
  role: ApiKeyRole;
  createdAt: Date;
}

const KEY_RE = /^idgk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$/;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * A new bearer secret `<prefix>_<id>_<secret>`: id is 12 hex (finds the row), secret 32 random
 * bytes. API keys use `idgk`, SCIM tokens `idgs` (so neither passes for the other).
 */
export function mintBearerSecret(prefix: 'idgk' | 'idgs'): { id: string; secret: string; hash: string } {
  const id = randomBytes(6).toString('hex');
  const secret = `${prefix}_${id}_${randomBytes(32).toString('base64url')}`;
  return { id, secret, hash: hashApiKey(secret) };
}

/** A presented secret against a stored SHA-256 (hex), compared in constant time. */
export function matchesStoredHash(presented: string, storedHex: string): boolean {
  const given = Buffer.from(hashApiKey(presented), 'hex');
  const stored = Buffer.from(storedHex, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** The lookup id of a well-formed key, else undefined (nothing about the input is echoed). */
export function apiKeyId(key: string): string | undefined {
  return KEY_RE.exec(key)?.[1];
}

export class ApiKeyRepo {
  constructor(
    private readonly exec: Executor,
    private readonly tenantId: string,
  ) {}

  /** Creates a key; the returned `key` is the only time it exists in clear. */
  async create(name: string, role: ApiKeyRole): Promise<{ key: string; info: ApiKeyInfo }> {
    if (!NAME_RE.test(name)) {
      throw new Error(`API key name "${name}" is invalid: use 1-63 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`);
    }
    if (!(API_KEY_ROLES as readonly string[]).includes(role)) throw new Error(`API key role must be one of ${API_KEY_ROLES.join(', ')}, got ${JSON.stringify(role)}`);
    const { id: keyId, secret: key, hash } = mintBearerSecret('idgk');
    const t = schema.apiKeys;
    const rows = await this.exec.db
      .insert(t)
      .values({ tenantId: this.tenantId, name, keyId, keyHash: hash, role })
      .onConflictDoNothing({ target: [t.tenantId, t.name] })
      .returning({ name: t.name, keyId: t.keyId, role: t.role, createdAt: t.createdAt });
    if (!rows[0]) throw new Error(`an API key named "${name}" exists already: revoke it first (\`idgraph api-key revoke ${name}\`) or pick another name`);
    return { key, info: rows[0] };
  }

  async list(): Promise<ApiKeyInfo[]> {
    const t = schema.apiKeys;
    return this.exec.db
      .select({ name: t.name, keyId: t.keyId, role: t.role, createdAt: t.createdAt })
      .from(t)
      .where(eq(t.tenantId, this.tenantId))
      .orderBy(asc(t.name));
  }

  /** Deletes the key; true when there was one. Sessions opened with it end with it. */
  async revoke(name: string): Promise<boolean> {
    const t = schema.apiKeys;
    const rows = await this.exec.db.delete(t).where(and(eq(t.tenantId, this.tenantId), eq(t.name, name))).returning({ name: t.name });
    return rows.length > 0;
  }

  /** The key's name and role when `key` is a live key of this tenant, else undefined. */
  async verify(key: string): Promise<ApiKeyInfo | undefined> {
    const keyId = apiKeyId(key);
    if (!keyId) return undefined;
    const row = await this.byKeyId(keyId);
    if (!row) return undefined;
    if (!matchesStoredHash(key, row.keyHash)) return undefined;
    return { name: row.name, keyId: row.keyId, role: row.role, createdAt: row.createdAt };
  }

  /**
   * The live key, whatever its tenant, with that tenant: `idgraph serve` acts in the tenant of
   * the key it is called with (key ids are unique across tenants).
   */
  async verifyInAnyTenant(key: string): Promise<(ApiKeyInfo & { tenantId: string }) | undefined> {
    const keyId = apiKeyId(key);
    if (!keyId) return undefined;
    const row = await this.byKeyIdInAnyTenant(keyId);
    if (!row) return undefined;
    const presented = Buffer.from(hashApiKey(key), 'hex');
    const stored = Buffer.from(row.keyHash, 'hex');
    if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) return undefined;
    return { name: row.name, keyId: row.keyId, role: row.role, createdAt: row.createdAt, tenantId: row.tenantId };
  }

  /** A live key of any tenant by its public id, with its tenant (a console session holds the id). */
  async byKeyIdInAnyTenant(keyId: string): Promise<(ApiKeyInfo & { keyHash: string; tenantId: string }) | undefined> {
    const [row] = await (this.byKeyIdQuery ??= this.prepareByKeyId()).execute({ keyId });
    return row;
  }

  private byKeyIdQuery: ReturnType<ApiKeyRepo['prepareByKeyId']> | undefined;

  /** A prepared statement: every API request and console page looks its key up. */
  private prepareByKeyId() {
    const t = schema.apiKeys;
    return this.exec.db
      .select({ name: t.name, keyId: t.keyId, role: t.role, createdAt: t.createdAt, keyHash: t.keyHash, tenantId: t.tenantId })
      .from(t)
      .where(eq(t.keyId, sql.placeholder('keyId')))
      .prepare('api_key_by_key_id');
  }

  /** A live key by its public id (sessions hold the id, never the key). */
  async byKeyId(keyId: string): Promise<(ApiKeyInfo & { keyHash: string }) | undefined> {
    const t = schema.apiKeys;
    const [row] = await this.exec.db
      .select({ name: t.name, keyId: t.keyId, role: t.role, createdAt: t.createdAt, keyHash: t.keyHash })
      .from(t)
      .where(and(eq(t.tenantId, this.tenantId), eq(t.keyId, keyId)));
    return row;
  }
}
