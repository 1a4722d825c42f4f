/**
 * MFA factors: one request per user, so a full sweep runs on its own (slower) schedule. Users that
 * cannot have enrolled factors are skipped: STAGED users were never activated and PROVISIONED users
 * were activated but have not set up credentials yet — enrollment needs the user to sign in, so
 * both have no factors to read. Every other status is read (a DEPROVISIONED user keeps its
 * factors in Okta, and posture checks look at them if the user comes back).
 * Between sweeps, factor events (user.mfa.factor.*) become targeted `userFactors` refreshes — the
 * "dirty set" is the deduplicated refresh queue — so incremental runs read no factors themselves.
 *
 * The sweep walks its own listing of every user (one extra request per 200 users, ~0.5% of the
 * sweep) instead of waiting for the users collector: the per-user requests are the run's floor,
 * and a sweep that starts only once 100k users are listed and stored leaves the users bucket idle
 * for minutes. Factor requests stay `concurrency` in flight across page boundaries; a listing
 * page's factors are committed together with that page's next link once all of them are in, so a
 * killed run resumes at the first page whose factors were not all committed.
 */
import { normalizeFactor } from '@idgraph/normalize';
import type { FactorRow } from '@idgraph/graph';
import { forEachConcurrent, mapOrdered } from '../concurrency.js';
import type { CollectorContext, CollectorResult } from '../context.js';
import { progressOf } from '../context.js';
import type { OktaFactorLike, OktaUserLike, Page } from '../ports.js';
import type { ResourceProgress } from '../progress.js';
import { ADMIN_FACTORS_SCOPE_PREFIX } from '../admin-first.js';
import { isNotFound } from './not-found.js';
import { ALL_USERS_SEARCH } from './users.js';

export const STATUSES_WITHOUT_FACTORS: ReadonlySet<string> = new Set(['STAGED', 'PROVISIONED']);

export function canHaveFactors(status: string): boolean {
  return !STATUSES_WITHOUT_FACTORS.has(status);
}

export async function collectFactors(ctx: CollectorContext): Promise<CollectorResult> {
  const progress = progressOf(ctx, 'factors');
  if ((ctx.mode ?? 'full') === 'incremental') return { resource: 'factors', complete: false, objects: 0 };
  const saved = await ctx.store.getCheckpoint(ctx.integration.id, 'factors', '');
  const ours = saved != null && saved.runId === ctx.run.id;
  if (!(ours && saved.done)) {
    // Admin posture first: the admins' factors, which the sweep then skips.
    const readFirst = ctx.adminFirst ? await adminFactorsFirst(ctx, progress) : new Set<string>();
    // Only a listing next link is a resume point (not e.g. a cursor an older version saved).
    const startUrl = ours && saved.nextUrl?.startsWith('http') ? saved.nextUrl : null;
    ctx.signal.throwIfAborted();
    const pages = startUrl ? ctx.client.listUsers({ startUrl }) : ctx.client.listUsers({ search: ALL_USERS_SEARCH });
    await sweep(ctx, progress, pages, readFirst);
  } else {
    ctx.adminFirst?.settle('adminFactors', true);
  }
  await ctx.store.finishFullSync(ctx.run.id, 'factors');
  return { resource: 'factors', complete: true, objects: progress.snapshot().objects };
}

/** A user whose factors to read, or the end of a listing page (the point to commit at). */
type SweepItem = { userId: string } | { pageEnd: { nextUrl: string | null } };

async function* sweepItems(pages: AsyncIterable<Page<OktaUserLike>>, readFirst: ReadonlySet<string>): AsyncGenerator<SweepItem> {
  for await (const page of pages) {
    for (const user of page.items) if (canHaveFactors(user.status) && !readFirst.has(user.id)) yield { userId: user.id };
    yield { pageEnd: { nextUrl: page.nextUrl } };
  }
}

/**
 * Step 3 of admin-first.ts: once roles, users and the admin groups' members are collected, the
 * factors of every admin the admin checks look at, each committed with its own checkpoint
 * (`factors` / `user:ID`, so a resumed run skips it) and tombstoned on its own at once. Returns
 * the admins whose factors this run has read (in any process), for the sweep to skip. Settles
 * `adminFactors`.
 */
async function adminFactorsFirst(ctx: CollectorContext, progress: ResourceProgress): Promise<Set<string>> {
  const gate = ctx.adminFirst!;
  const integrationId = ctx.integration.id;
  const runId = ctx.run.id;
  const readThisRun = async (): Promise<Set<string>> => {
    const scopes = await ctx.store.doneScopes!(integrationId, 'factors', runId, ADMIN_FACTORS_SCOPE_PREFIX);
    return new Set([...scopes].map((s) => s.slice(ADMIN_FACTORS_SCOPE_PREFIX.length)));
  };
  try {
    if (!(await gate.ready(['users', 'groups', 'roles', 'adminMembers'], ctx.signal))) return await readThisRun();
    const admins = await ctx.store.adminUsers!(integrationId);
    const already = await readThisRun();
    // Admins who cannot have factors (never activated, or not yet enrolled) keep none: tombstoning
    // their rows needs no request. DEPROVISIONED and SUSPENDED holders are no admin check's
    // subject: the sweep reads them like anyone else.
    for (const a of admins) {
      if (!canHaveFactors(a.status)) await ctx.store.finishFullSync(runId, 'factors', { userId: a.id });
    }
    const todo = admins.filter((a) => canHaveFactors(a.status) && !ADMIN_CHECKS_SKIP.has(a.status) && !already.has(a.id));
    // Each admin on its own (request, commit with its checkpoint, tombstone), several at a time.
    await forEachConcurrent(
      todo,
      ctx.concurrency ?? 8,
      async (admin) => {
        let result: { items: OktaFactorLike[]; fetchedAt: Date } | null;
        try {
          result = await ctx.client.listUserFactors(admin.id);
        } catch (err) {
          if (!isNotFound(err)) throw err;
          result = null; // deleted since it was listed: nothing to keep
        }
        const rows = result ? result.items.map((f) => normalizeFactor(admin.id, f, result.fetchedAt)) : [];
        await ctx.store.commitPage({
          integrationId,
          runId,
          resource: 'factors',
          scopeKey: `${ADMIN_FACTORS_SCOPE_PREFIX}${admin.id}`,
          nextUrl: null,
          done: true,
          rows: { factors: rows },
        });
        await ctx.store.finishFullSync(runId, 'factors', { userId: admin.id });
        progress.calls(1, rows.length);
      },
      ctx.signal,
    );
    ctx.logger.info({ admins: admins.length, read: todo.length }, 'factors of admins collected');
    gate.settle('adminFactors', true);
    return await readThisRun();
  } finally {
    gate.settle('adminFactors', false);
  }
}

/** Statuses whose holders admin checks leave out (posture's `admin_users`): read by the sweep instead. */
const ADMIN_CHECKS_SKIP: ReadonlySet<string> = new Set(['DEPROVISIONED', 'SUSPENDED']);

async function sweep(ctx: CollectorContext, progress: ResourceProgress, pages: AsyncIterable<Page<OktaUserLike>>, readFirst: ReadonlySet<string>): Promise<void> {
  const fetchFactors = async (item: SweepItem): Promise<{ items: OktaFactorLike[]; fetchedAt: Date } | null> => {
    if (!('userId' in item)) return null;
    try {
      return await ctx.client.listUserFactors(item.userId);
    } catch (err) {
      if (isNotFound(err)) return null; // deleted since it was listed
      throw err;
    }
  };
  let rows: FactorRow[] = [];
  let calls = 0;
  for await (const { item, result } of mapOrdered(sweepItems(pages, readFirst), ctx.concurrency ?? 8, fetchFactors, ctx.signal)) {
    if ('userId' in item) {
      calls += 1;
      if (result) for (const f of result.items) rows.push(normalizeFactor(item.userId, f, result.fetchedAt));
      continue;
    }
    const { nextUrl } = item.pageEnd;
    await ctx.store.commitPage({
      integrationId: ctx.integration.id,
      runId: ctx.run.id,
      resource: 'factors',
      scopeKey: '',
      nextUrl,
      done: nextUrl === null,
      rows: { factors: rows },
    });
    progress.calls(calls, rows.length);
    progress.page(0);
    rows = [];
    calls = 0;
    if (nextUrl !== null) ctx.signal.throwIfAborted();
  }
  // Stopped early on abort: the committed pages hold the resume point.
  ctx.signal.throwIfAborted();
}
