/**
 * MFA factors: one request per user, so a full sweep runs on its own (slower) schedule. Users that
 * cannot have enrolled factors are skipped: STAGED users were never activated and PROVISIONED users
 * were activated but have not set up credentials yet — enrollment needs the user to sign in, so
 * both have no factors to read. Every other status is read (a DEPROVISIONED user keeps its
 * factors in Okta, and posture checks look at them if the user comes back).
 * Between sweeps, factor events (user.mfa.factor.*) become targeted `userFactors` refreshes — the
 * "dirty set" is the deduplicated refresh queue — so incremental runs read no factors themselves.
 */
import { normalizeFactor } from '@idgraph/normalize';
import type { CollectorContext, CollectorResult } from '../context.js';
import { progressOf } from '../context.js';
import { collectFanOut } from './fan-out.js';
import { isNotFound } from './not-found.js';

export const STATUSES_WITHOUT_FACTORS: ReadonlySet<string> = new Set(['STAGED', 'PROVISIONED']);

export function canHaveFactors(status: string): boolean {
  return !STATUSES_WITHOUT_FACTORS.has(status);
}

export async function collectFactors(ctx: CollectorContext): Promise<CollectorResult> {
  const progress = progressOf(ctx, 'factors');
  if ((ctx.mode ?? 'full') === 'incremental') return { resource: 'factors', complete: false, objects: 0 };
  await collectFanOut(ctx, progress, {
    resource: 'factors',
    scopeKey: '',
    source: (afterId) => usersWithFactors(ctx, afterId),
    idOf: (userId) => userId,
    fetch: async (userId) => {
      try {
        return await ctx.client.listUserFactors(userId);
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    toRows: (results) => ({
      factors: results.flatMap(({ item, result }) => result.items.map((f) => normalizeFactor(item, f, result.fetchedAt))),
    }),
  });
  await ctx.store.finishFullSync(ctx.run.id, 'factors');
  return { resource: 'factors', complete: true, objects: progress.snapshot().objects };
}

async function* usersWithFactors(ctx: CollectorContext, afterId: string | undefined): AsyncGenerator<string> {
  for await (const user of ctx.store.liveUsers(ctx.integration.id, afterId)) {
    if (canHaveFactors(user.status)) yield user.id;
  }
}
