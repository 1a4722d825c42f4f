import { scrubSecrets } from './logger.js';

const MAX_LENGTH = 500;

const POSTGRES_CONNECTION_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'CONNECT_TIMEOUT']);

/**
 * One line about an error, fit for logs, run records and CLI output: a database error is reduced
 * to the server's message (drizzle's wrapper repeats the whole query and its parameters, i.e.
 * the rows being written), credentials are scrubbed, and the text is capped.
 */
export function describeError(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && /^Failed query:/.test(e.message) && e.cause instanceof Error) e = e.cause;
  let text = e instanceof Error ? e.message : String(e);
  if (/^Failed query:/.test(text)) text = 'database query failed';
  // postgres-js names a dropped connection only by its code ("write CONNECTION_CLOSED host:port").
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && POSTGRES_CONNECTION_CODES.has(code)) text = `lost the connection to PostgreSQL (${text})`;
  text = scrubSecrets(text).replace(/\s+/g, ' ').trim();
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH)}…` : text;
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied (check the owner and mode of the file and its directory)',
  EPERM: 'operation not permitted (check the owner and mode of the file and its directory)',
  EISDIR: 'it is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  ELOOP: 'too many symbolic links in the path',
  ENAMETOOLONG: 'the path is too long',
  EMFILE: 'too many open files in this process',
};

/** A file-system error in words (Node's own message is a bare errno like "ENOENT: …, open '…'"). */
export function describeFileError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code && FILE_ERRORS[code]) return FILE_ERRORS[code];
  return code ? `${code} (${(err as Error).message})` : String((err as Error)?.message ?? err);
}
