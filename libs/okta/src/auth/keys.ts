import { createPrivateKey, type KeyObject } from 'node:crypto';

export type SigningAlg = 'RS256' | 'ES256' | 'ES384' | 'ES512';

const WHAT_TO_GIVE =
  'give the service app\'s RSA or EC (P-256, P-384, P-521) private key as unencrypted PEM ("-----BEGIN PRIVATE KEY-----", PKCS#8), ' +
  'e.g. from `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`, and register its public key on the app';

/**
 * Loads a PEM private key (PKCS#8, PKCS#1 or SEC1) and picks the JWS algorithm from the key type.
 * `what` names the key in errors (an option name, a file); messages never quote key material.
 */
export function loadSigningKey(privateKeyPem: string, what = 'privateKeyPem'): { key: KeyObject; alg: SigningAlg } {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(privateKeyPem)) {
    throw new TypeError(`${what} is encrypted with a passphrase: decrypt it first (\`openssl pkcs8 -topk8 -nocrypt -in KEY.pem\`); ${WHAT_TO_GIVE}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch {
    // The parser's message can quote key material; never pass it on.
    throw new TypeError(`${what} is not a readable PEM private key (damaged, truncated or not a key between its BEGIN/END lines): ${WHAT_TO_GIVE}`);
  }
  if (key.asymmetricKeyType === 'rsa') return { key, alg: 'RS256' };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1' || curve === 'P-256') return { key, alg: 'ES256' };
    if (curve === 'secp384r1' || curve === 'P-384') return { key, alg: 'ES384' };
    if (curve === 'secp521r1' || curve === 'P-521') return { key, alg: 'ES512' };
    throw new TypeError(`${what} uses EC curve ${curve ?? 'unknown'}, which Okta does not accept: ${WHAT_TO_GIVE}`);
  }
  throw new TypeError(`${what} is ${article(key.asymmetricKeyType)} key; Okta client assertions are signed with RSA or EC keys: ${WHAT_TO_GIVE}`);
}

function article(type: string | undefined): string {
  if (!type) return 'an unknown';
  return /^[aeiou]/i.test(type) ? `an ${type}` : `a ${type}`;
}

/** Checks a private key the way the client will use it, without using it: returns its JWS algorithm or throws TypeError. */
export function validateSigningKey(privateKeyPem: string, what?: string): SigningAlg {
  return loadSigningKey(privateKeyPem, what).alg;
}
