import type { Command } from 'commander';
import { startOktaSim } from '@idgraph/okta-sim';
import { UsageError } from '../errors.js';
import { out } from '../output.js';
import { intOption, numberOption } from '../options.js';

/**
 * The planted posture cases need this much org (see plant() in libs/okta-sim/src/generate.ts: 40
 * users, 5 groups, 5 apps, of which the simulator always adds 2 API service apps itself).
 */
const PLANTED_MIN = { users: 40, groups: 5, apps: 3 };

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('Run the Okta-compatible simulator (a synthetic org) until interrupted.')
    .option('--port <port>', 'port on 127.0.0.1 (0 = any free port)', intOption('--port', 0, 65535), 0)
    .option('--seed <seed>', 'org seed: the same seed and sizes give the same org', intOption('--seed', 0), 1)
    .option('--users <n>', 'number of users', intOption('--users', 1), 200)
    .option('--groups <n>', 'number of groups (default: users/20)', intOption('--groups', 1))
    .option('--apps <n>', 'number of apps (default: users/100)', intOption('--apps', 1))
    .option('--rate-limit-factor <x>', "multiply Okta's default per-minute limits (e.g. 0.5 or 20)", numberOption('--rate-limit-factor', { above: 0, max: 1_000_000, example: '0.5 or 20' }), 1)
    .option('--token <token>', 'SSWS API token the simulator accepts (default: sim-token-SEED)')
    .option('--no-posture-cases', `plant no posture findings (allows orgs under ${PLANTED_MIN.users} users, ${PLANTED_MIN.groups} groups or ${PLANTED_MIN.apps} apps)`)
    .action(async (opts: { port: number; seed: number; users: number; groups?: number; apps?: number; rateLimitFactor: number; token?: string; postureCases: boolean }) => {
      if (opts.postureCases) {
        const groups = opts.groups ?? Math.max(5, Math.round(opts.users / 20));
        const apps = opts.apps ?? Math.max(5, Math.round(opts.users / 100));
        const short = [
          opts.users < PLANTED_MIN.users ? `--users ${opts.users} (give ${PLANTED_MIN.users} or more)` : null,
          groups < PLANTED_MIN.groups ? `--groups ${groups} (give ${PLANTED_MIN.groups} or more)` : null,
          apps < PLANTED_MIN.apps ? `--apps ${apps} (give ${PLANTED_MIN.apps} or more)` : null,
        ].filter(Boolean);
        if (short.length) {
          throw new UsageError(`the simulated org is too small for its planted posture cases: ${short.join(', ')}; or add --no-posture-cases for a smaller org without them`);
        }
      }
      const sim = await startOktaSim({
        port: opts.port,
        seed: opts.seed,
        users: opts.users,
        groups: opts.groups,
        apps: opts.apps,
        rateLimitFactor: opts.rateLimitFactor,
        apiToken: opts.token,
        plantPosture: opts.postureCases,
      });
      out.line(`Okta simulator listening on ${sim.url}`);
      out.line(`  org URL:      ${sim.url}`);
      out.line(`  API token:    ${sim.apiToken}   (simulator only; use: export OKTA_TOKEN=${sim.apiToken})`);
      out.line(`  event source: ${sim.eventSource}`);
      out.line(`Scan it with: idgraph scan --org-url ${sim.url} --token-env OKTA_TOKEN --allow-http`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sim.close();
    });
}
