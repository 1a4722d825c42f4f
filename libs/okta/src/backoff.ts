// The one sleep and backoff live in @idgraph/core; transport.ts still imports them from here.
export { abortReason, backoffDelayMs, sleep } from '@idgraph/core';
