/**
 * Events stamped later than Okta's clock. An event's `published` is Okta's time of the change; one
 * far ahead of Okta's own clock is corrupt or forged, and applied it would outrank every later read
 * of its object (its state would look newer than anything Okta could tell us) until that time
 * came. Such events are rejected, counted and reported by each event path, never applied.
 *
 * Each path passes the best Okta clock it has: System Log polling the `Date` of the very response
 * that listed the event (Okta's clock at that moment, so the event cannot be later); the stream
 * consumer and `ingest-events`, which need not talk to Okta at all, the host clock. A host clock
 * is NTP-close to Okta's, and `maxFutureMs` (default 5 minutes) is far wider than any drift that
 * still lets TLS and OAuth assertions work, so a valid event is never rejected for a host's drift.
 */
export function futureEventReason(published: Date, oktaNowMs: number, maxFutureMs: number): string | null {
  const t = published.getTime();
  if (!(t > oktaNowMs + maxFutureMs)) return null;
  return (
    `published ${published.toISOString()} is ${Math.round((t - oktaNowMs) / 1000)} s later than Okta's clock ` +
    `(${new Date(oktaNowMs).toISOString()}), more than the ${Math.round(maxFutureMs / 1000)} s allowed for clock skew ` +
    '(IDGRAPH_EVENT_MAX_FUTURE_SECONDS): invalid, not applied'
  );
}
