/**
 * Remediation actions, their audit, and privacy requests: the same @idgraph/actions calls as
 * `idgraph action`, `idgraph audit` and `idgraph privacy` (admin keys only: each may change Okta or
 * erase data, and the audit names people).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ActionInputError, listAudit, listErasures, privacyAccess, privacyErase, PrivacyInputError, runAction, type ActionContext } from '@idgraph/actions';
import { refreshObjects } from '@idgraph/collector/refresh';
import { clientForIntegration } from '@idgraph/integrations';
import type { ServerDeps } from '../app.js';
import { HttpError } from '../errors.js';
import { ActionBody, ActionResponse, AuditList, AuditQuery, ErasureList, ErrorBody, PrivacyAccessBody, PrivacyAccessResponse, PrivacyEraseBody, PrivacyEraseResponse } from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

/** The library's input errors are the caller's: 400 with the library's message. */
async function asBadRequest<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ActionInputError || err instanceof PrivacyInputError) throw new HttpError(400, 'bad_request', err.message);
    throw err;
  }
}

export const actionRoutes: FastifyPluginAsyncTypebox<{ deps: ServerDeps }> = async (app, { deps }) => {
  const { store, logger } = deps;
  const context = (callerName: string | undefined): ActionContext => ({
    store,
    requestedBy: `api:${callerName ?? 'unknown'}`,
    logger,
    async refresh(integration, requests) {
      const client = await clientForIntegration(store, integration, { logger });
      return refreshObjects({ client, store, integration, requests, logger, trigger: 'action' });
    },
  });

  app.post(
    '/api/v1/actions',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['actions'],
        summary: 'A remediation action on Okta: a dry run unless dryRun is false (the same as `idgraph action`); every attempt is audited',
        body: ActionBody,
        // 403: a refused action (the body says what to grant), or a read key (an error body).
        response: { 200: ActionResponse, ...errors, 403: Type.Union([ActionResponse, ErrorBody]), 502: ActionResponse },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const response = await asBadRequest(() =>
        runAction(context(request.caller?.name), { action: b.action, integration: b.integration, subject: b.subject, target: b.target ?? null, resourceSet: b.resourceSet ?? null, apply: b.dryRun === false }),
      );
      request.log.info({ action: response.action, integration: b.integration, outcome: response.result.outcome, by: request.caller?.name }, 'action');
      // A refusal says what to grant (403); Okta failing the write is a bad gateway (502).
      const status = response.result.outcome === 'refused' ? 403 : response.result.outcome === 'failed' ? 502 : 200;
      return reply.code(status).send(response);
    },
  );

  app.get(
    '/api/v1/audit',
    { config: { auth: 'admin' }, schema: { tags: ['actions'], summary: 'Every action attempt (dry run, applied, refused, failed), newest first', querystring: AuditQuery, response: { 200: AuditList, ...errors } } },
    async (request) => ({ items: await listAudit(store, { ...(request.query.integration ? { integration: request.query.integration } : {}), limit: request.query.limit ?? 100 }) }),
  );

  app.post(
    '/api/v1/privacy/access',
    { config: { auth: 'admin' }, schema: { tags: ['privacy'], summary: 'Everything held about a person, by email address, across integrations', body: PrivacyAccessBody, response: { 200: PrivacyAccessResponse, ...errors } } },
    async (request) => asBadRequest(() => privacyAccess(store, { email: request.body.email })),
  );

  app.post(
    '/api/v1/privacy/erase',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['privacy'],
        summary: "Erase a person's personal data from the store and record it; inOkta also deactivates and deletes them in Okta (a dry run unless apply)",
        body: PrivacyEraseBody,
        response: { 200: PrivacyEraseResponse, ...errors },
      },
    },
    async (request) => {
      const result = await asBadRequest(() => privacyErase(context(request.caller?.name), { email: request.body.email, inOkta: request.body.inOkta ?? false, apply: request.body.apply ?? false }));
      request.log.info({ erasureId: result.erasureId, erased: result.erased, by: request.caller?.name }, 'privacy erase');
      return result;
    },
  );

  app.get(
    '/api/v1/privacy/erasures',
    { config: { auth: 'admin' }, schema: { tags: ['privacy'], summary: 'Erasure records, and whether a later collection saw the person again', response: { 200: ErasureList, ...errors } } },
    async () => ({ items: await listErasures(store) }),
  );
};
