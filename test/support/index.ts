/**
 * Test support: each test file gets its own PostgreSQL database and Redis key prefix, on the
 * real servers of the machine (DATABASE_URL's server, default 127.0.0.1:5432; REDIS_URL).
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

const ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates an empty database named after the test file; drop() removes it. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `idg_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const a = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** A unique Redis key prefix for one test file. */
export function testRedisPrefix(label: string): string {
  return `idgtest:${label}:${randomBytes(4).toString('hex')}:`;
}

export { shuffled, waitFor } from './wait.js';
