/**
 * Okta's published per-minute rate-limit buckets, from the last published table (okta/okta-developer-docs
 * packages/@okta/vuepress-site/docs/reference/rl-global-mgmt/index.md at commit 69fe2395b5e2f2d2852cb21e61c416a845d52f9e;
 * https://developer.okta.com/docs/reference/rate-limits/ now points to the Admin Console instead). Match order as
 * Okta documents it: an exact endpoint first, else the longest prefix; method matters. Which bucket sub-resources
 * such as `/api/v1/users/{id}/factors` or `/api/v1/groups/{id}/users` use is unconfirmed; we follow
 * the longest-prefix rule (`/api/v1/users*`, `/api/v1/groups*`), which is also the conservative
 * choice: sharing a bucket's budget never overspends it.
 */
const ID = '[^/]+';

interface BucketRule {
  id: string;
  methods?: readonly string[];
  pattern: RegExp;
}

const RULES: readonly BucketRule[] = [
  { id: '/api/v1/apps/{id}', methods: ['GET', 'PUT', 'DELETE'], pattern: new RegExp(`^/api/v1/apps/${ID}$`) },
  { id: '/api/v1/apps', pattern: /^\/api\/v1\/apps(\/.*)?$/ },
  { id: '/api/v1/groups/{id}', pattern: new RegExp(`^/api/v1/groups/${ID}$`) },
  { id: '/api/v1/groups', pattern: /^\/api\/v1\/groups(\/.*)?$/ },
  { id: 'GET /api/v1/users/{id}', methods: ['GET'], pattern: new RegExp(`^/api/v1/users/${ID}$`) },
  { id: 'POST/PUT/DELETE /api/v1/users/{id}', methods: ['POST', 'PUT', 'DELETE'], pattern: new RegExp(`^/api/v1/users/${ID}$`) },
  { id: '/api/v1/users', pattern: /^\/api\/v1\/users(\/.*)?$/ },
  { id: '/api/v1/logs', pattern: /^\/api\/v1\/logs(\/.*)?$/ },
  { id: '/api/v1/events', pattern: /^\/api\/v1\/events(\/.*)?$/ },
  { id: '/oauth2/v1/clients', pattern: /^\/oauth2\/v1\/clients(\/.*)?$/ },
  { id: '/oauth2/v1/token', pattern: /^\/oauth2\/v1\/token$/ },
  { id: '/oauth2/{authServerId}/v1/token', pattern: new RegExp(`^/oauth2/${ID}/v1/token$`) },
  { id: '/api/v1', pattern: /^\/api\/v1(\/.*)?$/ },
];

/** The bucket a request counts against; requests outside every published bucket share `other`. */
export function bucketFor(method: string, pathname: string): string {
  const m = method.toUpperCase();
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  for (const rule of RULES) {
    if (rule.methods && !rule.methods.includes(m)) continue;
    if (rule.pattern.test(path)) return rule.id;
  }
  return 'other';
}
