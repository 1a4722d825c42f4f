/**
 * Integration secrets at rest: JWE compact serialisation, direct key agreement with A256GCM.
 * The key comes from IDGRAPH_SECRET_KEY, or from a 32-byte key file created on first use.
 * Error messages never carry plaintext or key material.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactEncrypt, compactDecrypt } from 'jose';

export interface SecretBox {
  /** Encrypts a JSON-serialisable object into a JWE compact string. */
  seal(obj: Record<string, unknown>): Promise<string>;
  /** Decrypts a string produced by seal() with the same key. */
  open<T extends Record<string, unknown> = Record<string, unknown>>(jwe: string): Promise<T>;
}

const KEY_BYTES = 32;

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

export function createSecretBox(keyB64url: string): SecretBox {
  const key = decodeKey(keyB64url);
  return {
    async seal(obj) {
      const plaintext = new TextEncoder().encode(JSON.stringify(obj));
      return new CompactEncrypt(plaintext).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(key);
    },
    async open<T extends Record<string, unknown>>(jwe: string): Promise<T> {
      let plaintext: Uint8Array;
      try {
        ({ plaintext } = await compactDecrypt(jwe, key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] }));
      } catch {
        // jose's message is safe, but the cause that matters to an operator is almost always the key.
        throw new Error(
          'cannot decrypt stored integration secrets: they were sealed with a different secret key ' +
            '(IDGRAPH_SECRET_KEY or the data directory\'s secret.key changed) or are corrupt; ' +
            'restore the original key or re-add the integration',
        );
      }
      const value: unknown = JSON.parse(new TextDecoder().decode(plaintext));
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        throw new Error('stored integration secrets are not a JSON object; re-add the integration');
      }
      return value as T;
    },
  };
}

/**
 * The secret key, base64url-encoded: IDGRAPH_SECRET_KEY when configured, else `${dataDir}/secret.key`
 * (32 raw bytes, mode 0600), created on first use. Two processes racing to create it agree on one key.
 */
export function resolveSecretKey(config: { secretKey?: string | undefined; dataDir: string }): string {
  if (config.secretKey) {
    decodeKey(config.secretKey);
    return config.secretKey;
  }
  const path = join(config.dataDir, 'secret.key');
  try {
    return readKeyFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(config.dataDir, { recursive: true });
  try {
    writeFileSync(path, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new Error(`cannot create the secret key file ${path}: ${(err as Error).message}; set IDGRAPH_SECRET_KEY instead`);
    }
  }
  return readKeyFile(path);
}

function readKeyFile(path: string): string {
  const key = readFileSync(path);
  if (key.length !== KEY_BYTES) {
    throw new Error(`the secret key file ${path} holds ${key.length} bytes, expected ${KEY_BYTES}; restore it or set IDGRAPH_SECRET_KEY`);
  }
  return key.toString('base64url');
}
