/**
 * The other objects that decide effective privilege: API token metadata (who may act as which
 * admin; `okta.apiTokens.read`), group rules (who gets added to which group; `okta.groups.read`)
 * and the OAuth client credentials of OIDC apps (whether a client secret exists that someone may
 * read; `okta.apps.read`, one request per OAuth client app and kind). Each listing is small and
 * always read whole, so incremental runs read them too.
 */
import { normalizeApiToken, normalizeAppCredential, normalizeGroupRule } from '@idgraph/normalize';
import type { CollectorContext, CollectorResult } from '../context.js';
import { progressOf } from '../context.js';
import { collectFanOut } from './fan-out.js';
import { isNotFound } from './not-found.js';
import { collectPaged, readMarker } from './paged.js';

export async function collectApiTokens(ctx: CollectorContext): Promise<CollectorResult> {
  const progress = progressOf(ctx, 'api_tokens');
  const marker = await readMarker(ctx, 'api_tokens', '');
  if (!marker?.done) {
    ctx.signal.throwIfAborted();
    const { items, fetchedAt } = await ctx.client.listApiTokens();
    await ctx.store.commitPage({
      integrationId: ctx.integration.id, runId: ctx.run.id, resource: 'api_tokens', scopeKey: '', nextUrl: null, done: true,
      rows: { apiTokens: items.map((t) => normalizeApiToken(t, fetchedAt)) },
    });
    progress.page(items.length);
  }
  await ctx.store.finishFullSync(ctx.run.id, 'api_tokens');
  return { resource: 'api_tokens', complete: true, objects: progress.snapshot().objects };
}

export async function collectGroupRules(ctx: CollectorContext): Promise<CollectorResult> {
  const progress = progressOf(ctx, 'group_rules');
  await collectPaged(ctx, progress, {
    resource: 'group_rules',
    scopeKey: '',
    open: (startUrl) => ctx.client.listGroupRules({ startUrl }),
    toRows: (items, fetchedAt) => {
      const rules = items.map((r) => normalizeGroupRule(r, fetchedAt));
      return { groupRules: rules.map((r) => r.rule), groupRuleTargets: rules.flatMap((r) => r.targets) };
    },
  });
  await ctx.store.finishFullSync(ctx.run.id, 'group_rules');
  await ctx.store.finishFullSync(ctx.run.id, 'group_rule_targets');
  return { resource: 'group_rules', complete: true, objects: progress.snapshot().objects };
}

export async function collectAppCredentials(ctx: CollectorContext): Promise<CollectorResult> {
  const progress = progressOf(ctx, 'app_credentials');
  await collectFanOut(ctx, progress, {
    resource: 'app_credentials',
    scopeKey: '',
    source: (afterId) => oauthApps(ctx, afterId),
    idOf: (appId) => appId,
    fetch: async (appId) => {
      try {
        const [secrets, keys] = await Promise.all([ctx.client.listAppClientSecrets(appId), ctx.client.listAppJwks(appId)]);
        return { secrets, keys };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    toRows: (results) => ({
      appCredentials: results.flatMap(({ item, result }) => [
        ...result.secrets.items.map((c) => normalizeAppCredential(item, 'client_secret', c, result.secrets.fetchedAt)),
        ...result.keys.items.map((c) => normalizeAppCredential(item, 'jwk', c, result.keys.fetchedAt)),
      ]),
    }),
  });
  await ctx.store.finishFullSync(ctx.run.id, 'app_credentials');
  return { resource: 'app_credentials', complete: true, objects: progress.snapshot().objects };
}

/** OAuth client apps (they have a client id): only they have client credentials. */
async function* oauthApps(ctx: CollectorContext, afterId: string | undefined): AsyncGenerator<string> {
  for await (const app of ctx.store.liveApps(ctx.integration.id, afterId)) if (app.clientId) yield app.id;
}

