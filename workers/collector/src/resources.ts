/**
 * The resources a collection run collects, and the only orderings the data imposes: members need
 * the groups, assignments the apps, group/app role assignments the groups and apps. Everything
 * else runs at the same time, so every Okta rate-limit bucket stays busy — the factor sweep lists
 * users itself rather than waiting for the users collector (see collectors/factors.ts). In a full
 * run, group members and factors start with the admins' (admin-first.ts): an ordering inside
 * those collectors, not a dependency (a run whose roles are skipped still collects them).
 */
export const COLLECTOR_RESOURCES = [
  'users',
  'groups',
  'group_members',
  'apps',
  'app_assignments',
  'roles',
  'factors',
  'system_log',
  'api_tokens',
  'group_rules',
  'app_credentials',
] as const;
export type CollectorResource = (typeof COLLECTOR_RESOURCES)[number];

/** Every resource but the System Log: what a collection reads by listing objects (the graph's state). */
export const LISTING_RESOURCES: readonly CollectorResource[] = COLLECTOR_RESOURCES.filter((r) => r !== 'system_log');

export const RESOURCE_DEPENDENCIES: Readonly<Record<CollectorResource, readonly CollectorResource[]>> = {
  users: [],
  groups: [],
  group_members: ['groups'],
  apps: [],
  app_assignments: ['apps'],
  roles: ['groups', 'apps'],
  factors: [],
  system_log: [],
  api_tokens: [],
  group_rules: [],
  // Client credentials are read per OAuth client app.
  app_credentials: ['apps'],
};

export function isCollectorResource(name: string): name is CollectorResource {
  return (COLLECTOR_RESOURCES as readonly string[]).includes(name);
}

/** Validates a user-supplied resource list (e.g. `collect-now --resources users,groups`). */
export function parseResources(names: readonly string[] | undefined): CollectorResource[] {
  if (names === undefined || names.length === 0) return [...COLLECTOR_RESOURCES];
  const unknown = names.filter((n) => !isCollectorResource(n));
  if (unknown.length > 0) {
    throw new Error(`unknown resource(s) ${unknown.map((n) => JSON.stringify(n)).join(', ')}: expected some of ${COLLECTOR_RESOURCES.join(', ')}`);
  }
  return COLLECTOR_RESOURCES.filter((r) => names.includes(r));
}
