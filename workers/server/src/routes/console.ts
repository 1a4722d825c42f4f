/** The web console: static files (no build server, no CDN), served with a strict Content-Security-Policy. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { extname, join, normalize } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { ServerDeps } from '../app.js';

/** The console's files sit beside src/ and dist/ in the package (workers/server/console). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const consoleRoutes: FastifyPluginAsync<{ deps: ServerDeps }> = async (app) => {
  const cache = new Map<string, Buffer>();
  const serve = async (file: string) => {
    let body = cache.get(file);
    if (!body) {
      body = await readFile(join(CONSOLE_DIR, file));
      cache.set(file, body);
    }
    return body;
  };
  const headers = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-cache' };

  // Every console page is the same document; the script routes by the hash.
  app.get('/', { config: { auth: 'none' }, schema: { hide: true } }, async (_request, reply) => reply.headers(headers).type(TYPES['.html']!).send(await serve('index.html')));

  app.get('/console/*', { config: { auth: 'none' }, schema: { hide: true } }, async (request, reply) => {
    const rel = normalize((request.params as { '*': string })['*']).replace(/^(\.\.[/\\])+/, '');
    const type = TYPES[extname(rel)];
    if (!type || rel.includes('..')) return reply.code(404).send({ error: 'not_found', message: 'no such console file' });
    try {
      return reply.headers(headers).type(type).send(await serve(rel));
    } catch {
      return reply.code(404).send({ error: 'not_found', message: 'no such console file' });
    }
  });
};
