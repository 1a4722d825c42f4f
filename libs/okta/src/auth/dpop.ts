import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';

/**
 * A DPoP key pair for this client (RFC 9449). The proof key is separate from the client-assertion
 * key: Okta binds the access token to whichever key signs the token request's proof.
 */
export class DpopSigner {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
  ) {}

  static async create(): Promise<DpopSigner> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    return new DpopSigner(privateKey, { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JWK);
  }

  /** A one-use proof for `method url`; `htu` carries no query or fragment; `ath` binds an access token. */
  async proof(method: string, url: string, opts: { accessToken?: string; nonce?: string } = {}): Promise<string> {
    const u = new URL(url);
    const htu = `${u.origin}${u.pathname}`;
    const claims: Record<string, unknown> = { htm: method.toUpperCase(), htu, jti: randomUUID() };
    if (opts.accessToken) claims.ath = createHash('sha256').update(opts.accessToken).digest('base64url');
    if (opts.nonce) claims.nonce = opts.nonce;
    return new SignJWT(claims)
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: this.publicJwk })
      .setIssuedAt()
      .sign(this.privateKey);
  }
}
