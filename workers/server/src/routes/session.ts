/** /api/v1/session: the console signs in by pasting an API key once; the browser then holds only a session cookie. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ServerDeps } from '../app.js';
import { SESSION_COOKIE, type Sessions } from '../auth.js';
import { ErrorBody, SessionBody, SessionView } from '../schemas.js';

const tags = ['session'];

export const sessionRoutes: FastifyPluginAsyncTypebox<{ deps: ServerDeps; sessions: Sessions }> = async (app, { deps, sessions }) => {
  app.post(
    '/api/v1/session',
    {
      config: { auth: 'none' },
      schema: { tags, summary: 'Sign in with an API key: sets an HttpOnly, SameSite=Strict session cookie', security: [], body: SessionBody, response: { 200: SessionView, 400: ErrorBody, 401: ErrorBody } },
    },
    async (request, reply) => {
      // A key of any tenant: the session acts in the key's tenant (see TenantStores).
      const info = await deps.store.apiKeys.verifyInAnyTenant(request.body.apiKey.trim());
      if (!info) return reply.code(401).send({ error: 'unauthorized', message: 'that is not a valid API key of this server (create one with `idgraph api-key create NAME --role read|admin`)' });
      const s = sessions.issue(info.keyId);
      reply.setCookie(SESSION_COOKIE, s.cookie, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        maxAge: s.maxAgeSeconds,
      });
      request.log.info({ key: info.name }, 'console session opened');
      return { name: info.name, role: info.role, csrfToken: s.csrfToken };
    },
  );

  app.get(
    '/api/v1/session',
    { config: { auth: 'read' }, schema: { tags, summary: 'Who is signed in (with the CSRF token of a cookie session)', response: { 200: SessionView, 401: ErrorBody } } },
    async (request) => ({ name: request.caller!.name, role: request.caller!.role, csrfToken: request.caller!.csrfToken }),
  );

  app.delete(
    '/api/v1/session',
    { config: { auth: 'read' }, schema: { tags, summary: 'Sign out (clears the session cookie)', response: { 204: { type: 'null' }, 401: ErrorBody, 403: ErrorBody } } },
    async (_request, reply) => {
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );
};
