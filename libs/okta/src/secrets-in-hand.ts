import { scrubSecrets } from '@idgraph/core';

export const REDACTED_SECRET = '[redacted]';

/** Values shorter than this are not searched for: they would mangle ordinary words (no real credential is this short). */
const MIN_LENGTH = 8;
/** Short-lived values kept (client assertions, access tokens, DPoP proofs); older ones have expired. */
const MAX_EPHEMERAL = 64;

/**
 * The credentials one client holds (API token, private key) and the short-lived ones it makes
 * (client assertions, access tokens, DPoP proofs). Pattern scrubbing (scrubSecrets) misses a
 * bare value an error body echoes back; this removes those exact values from every error the
 * client throws, before it reaches logs, run records or a terminal.
 */
export class SecretsInHand {
  private readonly fixed = new Set<string>();
  private readonly ephemeral: string[] = [];

  /** A credential for the client's lifetime. A PEM key also adds its base64 body and its lines. */
  addFixed(value: string): void {
    for (const v of variants(value)) this.fixed.add(v);
  }

  /** A value that expires (the newest MAX_EPHEMERAL are kept). */
  addEphemeral(value: string): void {
    if (value.length < MIN_LENGTH) return;
    this.ephemeral.push(value);
    if (this.ephemeral.length > MAX_EPHEMERAL) this.ephemeral.splice(0, this.ephemeral.length - MAX_EPHEMERAL);
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a PEM is replaced whole before its lines are.
    const values = [...this.fixed, ...this.ephemeral].sort((a, b) => b.length - a.length);
    for (const v of values) if (out.includes(v)) out = out.split(v).join(REDACTED_SECRET);
    return scrubSecrets(out);
  }

  /**
   * Redacts an error in place: its message, stack and every string field (errorSummary,
   * errorDescription, errorCauses, …), so whichever part a caller prints is clean. Returns it.
   */
  redactError<E>(err: E): E {
    if (!(err instanceof Error)) return (typeof err === 'string' ? this.redact(err) : err) as E;
    err.message = this.redact(err.message);
    if (err.stack) err.stack = this.redact(err.stack);
    const fields = err as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      const v = fields[key];
      if (typeof v === 'string') fields[key] = this.redact(v);
      else if (Array.isArray(v)) fields[key] = v.map((item) => this.redactValue(item));
    }
    return err;
  }

  private redactValue(v: unknown): unknown {
    if (typeof v === 'string') return this.redact(v);
    if (Array.isArray(v)) return v.map((x) => this.redactValue(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.redactValue(x)]));
    return v;
  }
}

function variants(value: string): string[] {
  const out = new Set<string>();
  const trimmed = value.trim();
  if (trimmed.length >= MIN_LENGTH) out.add(trimmed);
  const pem = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END [A-Z ]+-----/.exec(trimmed);
  if (pem?.[1]) {
    const lines = pem[1].split(/\s+/).filter((l) => l.length >= 16);
    for (const l of lines) out.add(l);
    const body = lines.join('');
    if (body.length >= MIN_LENGTH) out.add(body);
  }
  return [...out];
}
