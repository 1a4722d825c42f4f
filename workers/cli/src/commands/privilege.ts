import type { Command } from 'commander';
import { STANDARD_ROLE_CAPABILITIES, TIER_ZERO_ROLES, loadPrivilegeGraph, roleHolders, shortestPaths, type PrivilegeGraph, type PrivilegePath } from '@idgraph/privilege';
import { action } from '../action.js';
import type { CliContext } from '../context.js';
import { UsageError, UserError } from '../errors.js';
import { out, table } from '../output.js';

/** Standard role types idgraph knows by name (any role held in the graph is accepted too). */
const KNOWN_STANDARD_ROLES = new Set([
  ...Object.keys(STANDARD_ROLE_CAPABILITIES), 'SUPER_ADMIN', 'REPORT_ADMIN', 'MOBILE_ADMIN', 'API_ADMIN',
  'ACCESS_CERTIFICATIONS_ADMIN', 'ACCESS_REQUESTS_ADMIN', 'WORKFLOWS_ADMIN',
]);

const KIND_RE = /^(user|group|app|api_token):[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/** The integration's privilege graph, computed from its live graph rows. */
async function graphOf(ctx: CliContext, name: string): Promise<PrivilegeGraph> {
  const store = await ctx.store();
  const integration = await store.getIntegration(name);
  if (!integration) throw new UserError(`no integration named "${name}" (see \`idgraph integration list\`)`);
  return loadPrivilegeGraph(await ctx.database(), { tenantId: store.tenant, integrationId: integration.id }, (s) =>
    ctx.logger.debug({ integration: name, ...s }, 'privilege graph loaded'));
}

function checkRole(g: PrivilegeGraph, role: string, flag: string): void {
  if (g.roleIds.includes(role) || KNOWN_STANDARD_ROLES.has(role) || g.roleLabels.has(role)) return;
  const held = [...g.roleIds].sort();
  throw new UsageError(`${flag} "${role}" is not a role: use a standard role type such as SUPER_ADMIN or a custom role id (cr0…)${held.length ? `; roles held in this org: ${held.join(', ')}` : ''}`);
}

export function registerPrivilege(program: Command): void {
  program
    .command('access')
    .description('Effective holders of admin roles: every principal holding each role directly, through a group, or as a service app.')
    .requiredOption('--integration <name>', 'the integration to read')
    .option('--role <role>', 'only this role: a standard role type (SUPER_ADMIN, …) or a custom role id (cr0…)')
    .option('--json', 'print {"holders":[{"principal","role","resourceSet","via"}]}; via is [] for a direct grant, ["group:00g…"] through a group', false)
    .action(
      action(
        async (ctx, opts: { integration: string; role?: string; json: boolean }) => {
          const g = await graphOf(ctx, opts.integration);
          if (opts.role !== undefined) checkRole(g, opts.role, '--role');
          const holders = roleHolders(g, opts.role);
          if (opts.json) {
            out.json({ holders });
            return;
          }
          if (holders.length === 0) {
            out.line(opts.role ? `nobody holds ${opts.role} in ${opts.integration}` : `nobody holds an admin role in ${opts.integration}`);
            return;
          }
          const label = (ref: string): string => {
            const node = g.nodeOf(ref);
            return node < 0 ? '' : g.label(node);
          };
          const roleName = (id: string): string => (g.roleLabels.get(id) ? `${id} (${g.roleLabels.get(id)})` : id);
          out.line(table(
            ['ROLE', 'RESOURCE SET', 'PRINCIPAL', 'NAME', 'VIA'],
            holders.map((h) => [roleName(h.role), h.resourceSet ?? '', h.principal, label(h.principal), h.via.length ? h.via.map((v) => `${v} (${label(v)})`).join(', ') : 'direct']),
          ));
        },
        { quiet: (opts) => opts.json },
      ),
    );

  program
    .command('paths')
    .description('Shortest paths to Tier Zero (SUPER_ADMIN and ORG_ADMIN holders) or to a role, from every principal that has one; each step names its edge and the grant or rule behind it.')
    .requiredOption('--integration <name>', 'the integration to read')
    .option('--to <target>', 'tier-zero, or a role (standard role type or custom role id)', 'tier-zero')
    .option('--from <principal>', 'only the path from this principal: user:ID, group:ID, app:ID or api_token:ID')
    .option('--json', 'print {"paths":[{"from","to","length","steps":[{"from","edge","to","grant"?,"rule"?}]}]}', false)
    .action(
      action(
        async (ctx, opts: { integration: string; to: string; from?: string; json: boolean }) => {
          if (opts.from !== undefined && !KIND_RE.test(opts.from)) {
            throw new UsageError(`--from "${opts.from}" is not KIND:ID: use user:00u…, group:00g…, app:0oa… or api_token:00T…`);
          }
          const g = await graphOf(ctx, opts.integration);
          const roles = opts.to === 'tier-zero' ? [...TIER_ZERO_ROLES] : [opts.to];
          if (opts.to !== 'tier-zero') checkRole(g, opts.to, '--to');
          const sp = shortestPaths(g, roles);
          let paths: PrivilegePath[];
          if (opts.from !== undefined) {
            const node = g.nodeOf(opts.from);
            if (node < 0) throw new UserError(`no ${opts.from} in ${opts.integration}'s graph (or it is gone from Okta)`);
            const p = sp.path(node);
            paths = p ? [p] : [];
          } else {
            paths = [...sp.paths()];
          }
          if (opts.json) {
            out.json({ paths });
            return;
          }
          const what = opts.to === 'tier-zero' ? 'Tier Zero (SUPER_ADMIN, ORG_ADMIN)' : opts.to;
          if (paths.length === 0) {
            out.line(opts.from ? `no path from ${opts.from} to ${what}` : `no principal has a path to ${what}`);
            return;
          }
          out.line(formatPaths(g, paths, what));
        },
        { quiet: (opts) => opts.json },
      ),
    );
}

function formatPaths(g: PrivilegeGraph, paths: PrivilegePath[], what: string): string {
  const name = (ref: string): string => {
    const node = g.nodeOf(ref);
    const label = node < 0 ? '' : g.label(node);
    return label && label !== ref.slice(ref.indexOf(':') + 1) ? `${ref} (${label})` : ref;
  };
  const lines = [`${paths.length} principals with a path to ${what}`];
  for (const p of paths) {
    lines.push('', `${name(p.from)}: ${p.length} step${p.length === 1 ? '' : 's'} to ${p.to}`);
    for (const s of p.steps) {
      const why = s.grant ? `  [${s.grant.role}${s.grant.resourceSet ? ` on ${s.grant.resourceSet}` : ''} held by ${s.grant.principal}]` : s.rule ? `  [rule ${s.rule.id} "${s.rule.name}"]` : '';
      lines.push(`  ${s.edge.padEnd(16)} ${name(s.to)}${why}`);
    }
  }
  return lines.join('\n');
}
