/** An object listed a moment ago can be gone by the time we read its sub-resource: Okta answers 404. */
export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { status?: unknown }).status === 404;
}
