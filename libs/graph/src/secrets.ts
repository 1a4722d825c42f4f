/**
 * Integration secrets at rest: JWE compact serialisation, direct key agreement with A256GCM.
 * The key comes from IDGRAPH_SECRET_KEY, or from a 32-byte key file created on first use.
 * Error messages never carry plaintext or key material.
 *
 * Each JWE's protected header carries two things besides alg/enc, both authenticated with the
 * ciphertext (the encoded protected header is the JWE's additional authenticated data, RFC 7516
 * section 5.1):
 * - `kid`: the fingerprint of the key that sealed it, so a wrong key is named as such;
 * - `bind`: the tenant, integration id, org URL, auth method and client id the secret belongs to,
 *   so a row whose org URL (or any of those) was changed outside idgraph cannot send its token
 *   to another server: open() refuses it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeFileError, scrubSecrets } from '@idgraph/core';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';

/** What a sealed secret belongs to; a stored row must still say exactly this for it to open. */
export interface SecretBinding {
  tenantId: string;
  integrationId: string;
  orgUrl: string;
  authMethod: string;
  clientId: string | null;
}

export interface OpenedSecret<T> {
  value: T;
  /** Sealed before secrets were bound to their integration: the caller should seal it again, bound. */
  unbound: boolean;
}

export interface SecretBox {
  /** Fingerprint of the key (not the key): stored in every sealed value, shown in errors. */
  readonly fingerprint: string;
  /** Encrypts a JSON-serialisable object into a JWE compact string bound to `binding`. */
  seal(obj: Record<string, unknown>, binding: SecretBinding): Promise<string>;
  /** Decrypts a string produced by seal() with the same key; refuses one bound to anything else. */
  open<T extends Record<string, unknown> = Record<string, unknown>>(jwe: string, binding: SecretBinding): Promise<OpenedSecret<T>>;
}

/** A stored secret that cannot be used: wrong key, changed integration row, or damage. Never carries secrets. */
export class SecretStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretStoreError';
  }
}

const KEY_BYTES = 32;
const BINDING_FIELDS: { field: keyof SecretBinding; label: string }[] = [
  { field: 'tenantId', label: 'tenant' },
  { field: 'integrationId', label: 'integration id' },
  { field: 'orgUrl', label: 'org URL' },
  { field: 'authMethod', label: 'auth method' },
  { field: 'clientId', label: 'client id' },
];

function decodeKey(keyB64url: string): Uint8Array {
  const key = Buffer.from(keyB64url, 'base64url');
  if (key.length !== KEY_BYTES) {
    throw new Error(
      `the secret key must be ${KEY_BYTES} random bytes, base64url-encoded (got ${key.length} bytes); ` +
        'generate one with `openssl rand -base64 32 | tr "+/" "-_" | tr -d "="`',
    );
  }
  return new Uint8Array(key);
}

/**
 * A short, stable name for a key that reveals nothing about it (a hash of a 256-bit random key):
 * `sha256:` and the first 16 bytes, hex.
 */
export function secretKeyFingerprint(keyB64url: string): string {
  const digest = createHash('sha256').update('idgraph secret key fingerprint\0').update(decodeKey(keyB64url)).digest('hex');
  return `sha256:${digest.slice(0, 32)}`;
}

/** The key fingerprint recorded in a sealed value, or null (sealed before fingerprints were recorded, or unreadable). */
export function sealedKeyFingerprint(jwe: string): string | null {
  try {
    const kid = decodeProtectedHeader(jwe).kid;
    return typeof kid === 'string' ? kid : null;
  } catch {
    return null;
  }
}

/** `source` says where the key came from (IDGRAPH_SECRET_KEY, a key file) for error messages. */
export function createSecretBox(keyB64url: string, opts: { source?: string } = {}): SecretBox {
  const key = decodeKey(keyB64url);
  const fingerprint = secretKeyFingerprint(keyB64url);
  const source = opts.source ?? 'the configured secret key';
  return {
    fingerprint,
    async seal(obj, binding) {
      const plaintext = new TextEncoder().encode(JSON.stringify(obj));
      return new CompactEncrypt(plaintext)
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: fingerprint, bind: bindingHeader(binding) })
        .encrypt(key);
    },
    async open<T extends Record<string, unknown>>(jwe: string, binding: SecretBinding): Promise<OpenedSecret<T>> {
      const sealedWith = sealedKeyFingerprint(jwe);
      if (sealedWith !== null && sealedWith !== fingerprint) {
        throw new SecretStoreError(
          `cannot open the stored secrets of integration ${binding.integrationId}: they were sealed with the secret key of fingerprint ${sealedWith}, ` +
            `but ${source} has fingerprint ${fingerprint}; restore the key with fingerprint ${sealedWith}, or re-add the integration with its credentials`,
        );
      }
      let plaintext: Uint8Array;
      let header: Record<string, unknown>;
      try {
        ({ plaintext, protectedHeader: header } = await compactDecrypt(jwe, key, {
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
        }));
      } catch {
        // jose's message is safe, but the cause that matters to an operator is the key or damage.
        throw new SecretStoreError(
          sealedWith === null
            ? `cannot decrypt the stored secrets of integration ${binding.integrationId}: they were sealed with a different secret key ` +
                "(IDGRAPH_SECRET_KEY or the data directory's secret.key changed) or are corrupt; restore the original key or re-add the integration"
            : `cannot decrypt the stored secrets of integration ${binding.integrationId}: they are corrupt or were tampered with; re-add the integration with its credentials`,
        );
      }
      const bound = header.bind;
      if (bound !== undefined) assertBinding(bound, binding);
      const value: unknown = JSON.parse(new TextDecoder().decode(plaintext));
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        throw new SecretStoreError('stored integration secrets are not a JSON object; re-add the integration');
      }
      return { value: value as T, unbound: bound === undefined };
    },
  };
}

function bindingHeader(b: SecretBinding): Record<string, string | null> {
  return { tenant: b.tenantId, integration: b.integrationId, orgUrl: b.orgUrl, authMethod: b.authMethod, clientId: b.clientId ?? null };
}

/** The authenticated binding must equal the row's fields; the message names each difference (none of them secret). */
function assertBinding(bound: unknown, expected: SecretBinding): void {
  const sealed = (bound && typeof bound === 'object' ? bound : {}) as Record<string, unknown>;
  const want = bindingHeader(expected);
  const diffs: string[] = [];
  for (const { field, label } of BINDING_FIELDS) {
    const key = field === 'tenantId' ? 'tenant' : field === 'integrationId' ? 'integration' : field;
    const was = sealed[key] ?? null;
    const now = want[key] ?? null;
    if (was !== now) diffs.push(`${label} was ${show(was)} when the secrets were stored, the row now says ${show(now)}`);
  }
  if (diffs.length) {
    throw new SecretStoreError(
      `refusing to use the stored secrets of integration ${expected.integrationId}: its row was changed outside idgraph since they were stored ` +
        `(${diffs.join('; ')}). If the change is wanted, store the credentials again for it (\`idgraph scan --name NAME --org-url URL\` with the credentials, ` +
        'or `idgraph integration remove NAME` and add it again); otherwise restore the row',
    );
  }
}

function show(v: unknown): string {
  return v === null ? 'empty' : scrubSecrets(JSON.stringify(v));
}

/** Where the key comes from, for messages: the variable, or the key file's path. */
export function secretKeySource(config: { secretKey?: string | undefined; dataDir: string }): string {
  return config.secretKey ? 'IDGRAPH_SECRET_KEY' : `the key file ${join(config.dataDir, 'secret.key')}`;
}

/** What the database says about sealed secrets: how many, and the key fingerprints they were sealed with. */
export interface SealedSecretsSummary {
  count: number;
  /** Distinct fingerprints recorded in sealed rows (rows sealed before fingerprints were recorded add none). */
  fingerprints: string[];
}

/**
 * The secret key, base64url-encoded: IDGRAPH_SECRET_KEY when configured, else `${dataDir}/secret.key`
 * (32 raw bytes, mode 0600). A missing key file is created only while no sealed secrets exist
 * (`sealed`), so a lost key is never silently replaced; a key whose fingerprint differs from the
 * one sealed rows recorded is refused. Two processes racing to create the file agree on one key.
 */
export function resolveSecretKey(
  config: { secretKey?: string | undefined; dataDir: string },
  sealed: SealedSecretsSummary = { count: 0, fingerprints: [] },
): string {
  const key = config.secretKey ? (decodeKey(config.secretKey), config.secretKey) : readOrCreateKeyFile(config.dataDir, sealed);
  assertSealedWith(secretKeyFingerprint(key), secretKeySource(config), sealed);
  return key;
}

function expectedFingerprint(sealed: SealedSecretsSummary): string {
  return sealed.fingerprints.length
    ? `fingerprint ${sealed.fingerprints.join(' or ')}`
    : 'a key whose fingerprint was not recorded (sealed by an older idgraph)';
}

/** Refuses a key (by its fingerprint) other than the one the stored secrets were sealed with. */
export function assertSealedWith(fingerprint: string, source: string, sealed: SealedSecretsSummary): void {
  if (!sealed.fingerprints.length || sealed.fingerprints.includes(fingerprint)) return;
  throw new SecretStoreError(
    `${source} has fingerprint ${fingerprint}, but the ${sealed.count} stored integration secret(s) were sealed with the key of ${expectedFingerprint(sealed)}: ` +
      'give that key (IDGRAPH_SECRET_KEY, or the secret.key file in IDGRAPH_DATA_DIR); if it is lost for good, remove those integrations and add them again',
  );
}

function readOrCreateKeyFile(dataDir: string, sealed: SealedSecretsSummary): string {
  const path = join(dataDir, 'secret.key');
  try {
    return readKeyFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (err instanceof SecretStoreError) throw err;
      throw new SecretStoreError(`cannot read the secret key file ${path}: ${describeFileError(err)}; fix it, or set IDGRAPH_SECRET_KEY instead`);
    }
  }
  if (sealed.count > 0) {
    throw new SecretStoreError(
      `the secret key file ${path} is missing, but ${sealed.count} stored integration secret(s) were sealed with the key of ${expectedFingerprint(sealed)}: ` +
        'restore that file from a backup, or give that key in IDGRAPH_SECRET_KEY (or its directory in IDGRAPH_DATA_DIR); ' +
        'idgraph does not generate a new key while sealed secrets exist (if the key is lost for good, remove those integrations and add them again)',
    );
  }
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new SecretStoreError(`cannot create the secret key file ${path}: ${describeFileError(err)}; fix that, or set IDGRAPH_SECRET_KEY instead`);
    }
  }
  return readKeyFile(path);
}

function readKeyFile(path: string): string {
  const key = readFileSync(path);
  if (key.length !== KEY_BYTES) {
    throw new SecretStoreError(`the secret key file ${path} holds ${key.length} bytes, expected ${KEY_BYTES}; restore it or set IDGRAPH_SECRET_KEY`);
  }
  return key.toString('base64url');
}
