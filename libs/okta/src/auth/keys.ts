import { createPrivateKey, type KeyObject } from 'node:crypto';

export type SigningAlg = 'RS256' | 'ES256' | 'ES384' | 'ES512';

/** Loads a PEM private key (PKCS#8, PKCS#1 or SEC1) and picks the JWS algorithm from the key type. */
export function loadSigningKey(privateKeyPem: string): { key: KeyObject; alg: SigningAlg } {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch {
    // The parser's message can quote key material; never pass it on.
    throw new TypeError('privateKeyPem is not a readable PEM private key: paste the full "-----BEGIN PRIVATE KEY-----" block of the service app key (RSA or EC)');
  }
  if (key.asymmetricKeyType === 'rsa') return { key, alg: 'RS256' };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1' || curve === 'P-256') return { key, alg: 'ES256' };
    if (curve === 'secp384r1' || curve === 'P-384') return { key, alg: 'ES384' };
    if (curve === 'secp521r1' || curve === 'P-521') return { key, alg: 'ES512' };
    throw new TypeError(`privateKeyPem uses EC curve ${curve ?? 'unknown'}; Okta accepts P-256, P-384 or P-521`);
  }
  throw new TypeError(`privateKeyPem is a ${key.asymmetricKeyType ?? 'unknown'} key; Okta client assertions need an RSA or EC key`);
}
