/** /api/v1/findings: stored posture findings (opened, kept and resolved by the workers after each run). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { planFixes } from '@idgraph/actions';
import { requireIntegration } from '@idgraph/integrations';
import { POSTURE_CHECKS, SEVERITIES } from '@idgraph/posture';
import type { ServerDeps } from '../app.js';
import { ErrorBody, FindingsPage, FindingsQuery, FindingsSummary, FindingsSummaryQuery, FixesQuery, FixPlanView } from '../schemas.js';

const tags = ['findings'];
const TITLES = new Map(POSTURE_CHECKS.map((c) => [c.id, c.title]));

export const findingRoutes: FastifyPluginAsyncTypebox<{ deps: ServerDeps }> = async (app, { deps }) => {
  const { store } = deps;
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

  app.get(
    '/api/v1/findings',
    { config: { auth: 'read' }, schema: { tags, summary: 'Findings, paged: check, severity, subject, first/last seen, state', querystring: FindingsQuery, response: { 200: FindingsPage, ...errors } } },
    async (request) => {
      const q = request.query;
      const integrationId = q.integration ? (await requireIntegration(store, q.integration)).id : undefined;
      const page = await store.findingsPage({ integrationId, checkId: q.check, severity: q.severity, state: q.state, cursor: q.cursor, limit: q.limit });
      return { items: page.items.map((f) => ({ ...f, title: TITLES.get(f.checkId) ?? f.checkId })), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/findings/summary',
    {
      config: { auth: 'read' },
      schema: { tags, summary: 'Open findings by severity and by check, with what each check means and how to fix it', querystring: FindingsSummaryQuery, response: { 200: FindingsSummary, ...errors } },
    },
    async (request) => {
      const integrationId = request.query.integration ? (await requireIntegration(store, request.query.integration)).id : undefined;
      const counts = await store.openFindingCounts(integrationId);
      const byCheck = new Map<string, number>();
      const bySeverity: Record<string, number> = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
      for (const c of counts) {
        byCheck.set(c.checkId, (byCheck.get(c.checkId) ?? 0) + c.open);
        bySeverity[c.severity] = (bySeverity[c.severity] ?? 0) + c.open;
      }
      return {
        bySeverity,
        checks: POSTURE_CHECKS.map((c) => ({ id: c.id, severity: c.severity, title: c.title, rationale: c.rationale, remediation: c.remediation, subjectKind: c.subjectKind, open: byCheck.get(c.id) ?? 0 })),
      };
    },
  );

  app.get(
    '/api/v1/findings/fixes',
    {
      config: { auth: 'read' },
      schema: { tags, summary: "The remediation actions that would resolve a check's findings (as `idgraph report --fix`); each is a dry run until applied through POST /api/v1/actions", querystring: FixesQuery, response: { 200: FixPlanView, ...errors } },
    },
    async (request) => {
      const q = request.query;
      const integration = await requireIntegration(store, q.integration);
      const subjects = q.subject ? [q.subject] : (await store.findingsPage({ integrationId: integration.id, checkId: q.check, state: 'open', limit: 200 })).items.map((f) => f.subject);
      return planFixes(store, integration, q.check, subjects);
    },
  );
};
