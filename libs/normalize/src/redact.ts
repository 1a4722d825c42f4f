/**
 * Rows keep the Okta object as `raw`, and raw ends up in the database and in graph exports. A few
 * Okta payloads can carry secrets: OIDC apps in older orgs return `credentials.oauthClient.client_secret`,
 * a TOTP factor pending activation embeds `_embedded.activation.sharedSecret`, lifecycle responses
 * an `activationToken`. Those values are replaced before a row is built; everything else stays
 * exactly as Okta sent it.
 */

export const REDACTED = '[redacted]';

/** Keys whose string values are secrets wherever they appear. */
const SECRET_KEYS = new Set([
  'client_secret',
  'clientSecret',
  'secret',
  'sharedSecret',
  'private_key',
  'privateKey',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'apiToken',
  'activationToken',
  'resetPasswordUrl',
  'activationUrl',
  'answer',
  'password',
]);

/** Inside a `password` object, these hold the password or its hash. */
const PASSWORD_SECRET_KEYS = new Set(['value', 'hash', 'salt']);

/**
 * Returns `value` with secret strings replaced by "[redacted]". Copy-on-write: when nothing needs
 * redacting (the normal case) the very same object is returned, so large syncs allocate nothing.
 */
export function redactSecrets<T>(value: T): T {
  return redact(value, false) as T;
}

function redact(value: unknown, insidePassword: boolean): unknown {
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    value.forEach((item, index) => {
      const next = redact(item, insidePassword);
      if (next !== item) (copy ??= [...value])[index] = next;
    });
    return copy ?? value;
  }
  if (typeof value !== 'object' || value === null) return value;
  let copy: Record<string, unknown> | null = null;
  for (const [key, item] of Object.entries(value)) {
    const next = redactEntry(key, item, insidePassword);
    if (next !== item) (copy ??= { ...value })[key] = next;
  }
  return copy ?? value;
}

function redactEntry(key: string, item: unknown, insidePassword: boolean): unknown {
  const isSecretKey = SECRET_KEYS.has(key) || (insidePassword && PASSWORD_SECRET_KEYS.has(key));
  if (isSecretKey && typeof item === 'string' && item !== '') return REDACTED;
  return redact(item, insidePassword || key === 'password');
}
