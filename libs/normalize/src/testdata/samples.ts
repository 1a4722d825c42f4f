/** Test-only loader for the Okta samples copied from /work/shared/okta/samples (see okta-samples/README.md). */
import { readFileSync, readdirSync } from 'node:fs';

const SAMPLES = new URL('./okta-samples/', import.meta.url);

export function readSample<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, SAMPLES), 'utf8')) as T;
}

/** The body of a sample that wraps an HTTP response (`{_http, body}`). */
export function readSampleBody<T = unknown>(name: string): T {
  return readSample<{ body: T }>(name).body;
}

export function listLogEventSamples(): string[] {
  return readdirSync(new URL('logevents/', SAMPLES)).filter((f) => f.endsWith('.json')).sort();
}
