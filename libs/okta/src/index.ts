export { OKTA_READ_SCOPES, scopesNamedIn, type OktaAuth, type ScopeState } from './auth/authorizer.js';
export { validateSigningKey, type SigningAlg } from './auth/keys.js';
export {
  createOktaClient,
  normalizeOrgUrl,
  PAGE_LIMITS,
  type Fetched,
  type ListResult,
  type OktaClient,
  type OktaClientOptions,
  type OktaPage,
  type PagesOptions,
  type Query,
  type RolePrincipal,
} from './client.js';
export { bucketFor } from './buckets.js';
export { accessDenial, collectableResources, RESOURCE_SCOPES, testConnectivity, type ConnectivityReport, type ConnectivityResource, type ConnectivityResult, type ConnectivityStatus } from './connectivity.js';
export { OktaApiError, OktaAuthError, OktaRequestError, parseWwwAuthenticate, type OktaErrorCause } from './errors.js';
export { createMemoryRateGovernor } from './governor/memory.js';
export { createRedisRateGovernor } from './governor/redis.js';
export type { RateGovernor, RateGovernorOptions, RateLease, RateLeaseOutcome } from './governor/types.js';
export { parseLinkHeader } from './links.js';
export type { RequestEvent, TransportStats } from './transport.js';
export type * from './types.js';
