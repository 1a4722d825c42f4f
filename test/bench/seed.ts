/**
 * A bench graph: one integration with users and groups committed as collection pages would, so
 * streamed or replayed events are about objects the graph holds.
 */
import { randomBytes } from 'node:crypto';
import type { GraphStore, GroupRow, UserRow } from '@idgraph/graph';

export const benchUserId = (i: number): string => `00ubench${String(i).padStart(8, '0')}`;
export const benchGroupId = (i: number): string => `00gbench${String(i).padStart(8, '0')}`;
export const BENCH_EVERYONE_ID = '00gbencheveryone0000';

export interface BenchSeed {
  users: number;
  groups: number;
  /** Okta-side time of the seeded rows: events must be newer to change them. */
  at: Date;
  eventSource: string;
  /** Also a built-in Everyone group (ingest-events adds new users to it). */
  everyone?: boolean;
}

/** Creates the integration `bench` in the store's tenant and commits the seeded rows; returns its id. */
export async function seedBenchGraph(store: GraphStore, seed: BenchSeed): Promise<string> {
  await store.ensureTenant();
  const integration = await store.createIntegration({
    name: 'bench',
    orgUrl: 'https://bench.okta.com',
    authMethod: 'ssws',
    secrets: { token: randomBytes(16).toString('hex') },
    allowHttp: false,
    eventSource: seed.eventSource,
  });
  const at = seed.at;
  const users: UserRow[] = Array.from({ length: seed.users }, (_, i) => ({
    oktaId: benchUserId(i), status: 'ACTIVE', login: `u${i}@bench.test`, email: `u${i}@bench.test`, firstName: 'Bench', lastName: `User${i}`,
    created: at, activated: at, statusChanged: at, lastLogin: null, passwordChanged: at, credentialProvider: 'OKTA', raw: null, sourceUpdatedAt: at,
  }));
  const groups: GroupRow[] = [
    ...(seed.everyone ? [{ oktaId: BENCH_EVERYONE_ID, groupType: 'BUILT_IN' as const, name: 'Everyone', description: null, raw: null, sourceUpdatedAt: at }] : []),
    ...Array.from({ length: seed.groups }, (_, i) => ({
      oktaId: benchGroupId(i), groupType: 'OKTA_GROUP' as const, name: `Group ${i}`, description: null, raw: null, sourceUpdatedAt: at,
    })),
  ];
  for (let i = 0; i < users.length; i += 1000) {
    await store.commitPage({ integrationId: integration.id, runId: null, resource: 'users', nextUrl: null, done: true, rows: { users: users.slice(i, i + 1000) } });
  }
  await store.commitPage({ integrationId: integration.id, runId: null, resource: 'groups', nextUrl: null, done: true, rows: { groups } });
  return integration.id;
}
