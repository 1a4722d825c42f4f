import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

/**
 * Every field that can carry a secret, wherever it sits in a log object. pino's redaction paths
 * are exact, so the common nestings are listed; secrets must still never be put in log objects.
 */
const SECRET_KEYS = [
  'token', 'apiToken', 'accessToken', 'access_token', 'refreshToken', 'idToken', 'id_token',
  'privateKey', 'privateKeyPem', 'private_key', 'clientAssertion', 'client_assertion', 'clientSecret',
  'client_secret', 'password', 'secret', 'secrets', 'secretKey', 'authorization', 'Authorization',
  'dpop', 'DPoP', 'cookie', 'key', 'pem',
];
export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'headers["x-okta-token"]',
];

export type { Logger };

export function createLogger(
  opts: { level?: string; name?: string; base?: Record<string, unknown> } = {},
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    name: opts.name,
    base: opts.base ?? {},
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // Logs go to stderr: stdout belongs to command output (JSON, JSONL exports).
  return pino(options, destination ?? pino.destination({ fd: 2, sync: true }));
}

/** Strips credentials from a string that may embed them (URLs with userinfo, header values). */
export function scrubSecrets(text: string): string {
  return text
    .replace(/(SSWS|Bearer|DPoP)\s+[A-Za-z0-9._~+/=-]+/g, '$1 [redacted]')
    .replace(/\/\/[^@/\s]*@/g, '//***@')
    .replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '[redacted private key]')
    .replace(/(client_assertion=)[^&\s]+/g, '$1[redacted]')
    .replace(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted jwt]');
}
