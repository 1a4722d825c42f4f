/**
 * System Log events shaped as Okta sends them (the spec's LogEvent, libs/normalize/src/testdata/okta-samples/logevents): ISO ms `Z`
 * timestamps, string-only debugData, `client.zone` the string "null", `device` null, targets
 * typed User / UserGroup / AppInstance / AppUser, and an EventBridge envelope around each.
 */
import type { Rng } from './rng.js';
import type { EventBridgeEnvelope, LogActor, LogTarget, OktaLogEvent, SimApp, SimGroup, SimUser } from './model.js';

const ADMIN_CLIENT = Object.freeze({
  userAgent: {
    rawUserAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    os: 'Mac OS X',
    browser: 'CHROME',
  },
  zone: 'null',
  device: 'Computer',
  id: null,
  ipAddress: '198.51.100.24',
  geographicalContext: {
    city: 'Springfield', state: 'Illinois', country: 'United States', postalCode: '62701',
    geolocation: { lat: 39.7817, lon: -89.6501 },
  },
});

const API_CLIENT = Object.freeze({
  userAgent: { rawUserAgent: 'idgraph-sim/1.0 node', os: 'Unknown', browser: 'UNKNOWN' },
  zone: 'null',
  device: 'Unknown',
  id: null,
  ipAddress: '203.0.113.7',
  geographicalContext: {
    city: 'Ashburn', state: 'Virginia', country: 'United States', postalCode: '20149',
    geolocation: { lat: 39.0438, lon: -77.4874 },
  },
});

const SECURITY_CONTEXT = Object.freeze({ asNumber: 64496, asOrg: 'example isp', isp: 'example isp', domain: 'example.net', isProxy: false });

export const SYSTEM_ACTOR: LogActor = Object.freeze({
  id: '0oa1systemprincipal0', type: 'SystemPrincipal', alternateId: 'system@okta.com', displayName: 'Okta System', detailEntry: null,
}) as LogActor;

export function userActor(u: SimUser): LogActor {
  return { id: u.id, type: 'User', alternateId: u.profile.login, displayName: `${u.profile.firstName} ${u.profile.lastName}`, detailEntry: null };
}

export const target = {
  user: (u: SimUser): LogTarget => ({
    id: u.id, type: 'User', alternateId: u.profile.login, displayName: `${u.profile.firstName} ${u.profile.lastName}`, detailEntry: null,
  }),
  appUser: (u: SimUser): LogTarget => ({
    id: u.id, type: 'AppUser', alternateId: u.profile.login, displayName: `${u.profile.firstName} ${u.profile.lastName}`, detailEntry: null,
  }),
  /** Okta reports group alternateId as "unknown" (samples 10, 11, 14). */
  group: (g: SimGroup): LogTarget => ({ id: g.id, type: 'UserGroup', alternateId: 'unknown', displayName: g.name, detailEntry: null }),
  app: (a: SimApp): LogTarget => ({
    id: a.id, type: 'AppInstance', alternateId: a.label, displayName: a.label, detailEntry: { signOnModeType: a.signOnMode },
  }),
};

export interface LogEventSpec {
  eventType: string;
  legacyEventType: string | null;
  displayMessage: string;
  published: Date;
  actor: LogActor;
  target: LogTarget[] | null;
  /** API request that caused the event; shows up in debugData.requestUri/url. */
  requestUri?: string;
  url?: string;
  debugData?: Record<string, string>;
  transactionType?: 'WEB' | 'JOB';
  outcomeReason?: string | null;
  viaApi?: boolean;
}

export class LogEventFactory {
  constructor(private readonly rng: Rng) {}

  build(spec: LogEventSpec): OktaLogEvent {
    const requestId = this.rng.token(27);
    const debugData: Record<string, string> = { requestId };
    if (spec.requestUri !== undefined) debugData.requestUri = spec.requestUri;
    if (spec.url !== undefined) debugData.url = spec.url;
    debugData.threatSuspected = 'false';
    Object.assign(debugData, spec.debugData ?? {});
    const job = spec.transactionType === 'JOB';
    return {
      uuid: this.rng.uuid(),
      published: spec.published.toISOString(),
      eventType: spec.eventType,
      version: '0',
      severity: 'INFO',
      legacyEventType: spec.legacyEventType,
      displayMessage: spec.displayMessage,
      actor: spec.actor,
      client: (spec.viaApi ?? true) ? API_CLIENT : ADMIN_CLIENT,
      device: null,
      outcome: { result: 'SUCCESS', reason: spec.outcomeReason ?? null },
      target: spec.target,
      transaction: { type: job ? 'JOB' : 'WEB', id: job ? this.rng.hex(32) : requestId, detail: {} },
      debugContext: { debugData },
      // Unset context fields are omitted, as in recorded admin-API events (libs/normalize/src/testdata/okta-samples/logevents/15-…).
      authenticationContext: { authenticationStep: 0, externalSessionId: job ? 'unknown' : `102${this.rng.token(22)}` },
      securityContext: SECURITY_CONTEXT,
      request: { ipChain: [] },
    };
  }

  envelope(event: OktaLogEvent, source: string, account: string, region: string): EventBridgeEnvelope {
    return {
      version: '0',
      id: this.rng.uuid(),
      'detail-type': 'SystemLog',
      source,
      account,
      // EventBridge `time` has second precision.
      time: `${event.published.slice(0, 19)}Z`,
      region,
      resources: [],
      detail: event,
    };
  }
}
