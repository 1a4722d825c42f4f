import type { Command } from 'commander';
import { startOktaSim } from '@idgraph/okta-sim';
import { out } from '../output.js';
import { intOption } from '../options.js';

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('Run the Okta-compatible simulator (a synthetic org) until interrupted.')
    .option('--port <port>', 'port on 127.0.0.1 (0 = any free port)', intOption('--port', 0, 65535), 0)
    .option('--seed <seed>', 'org seed: the same seed and sizes give the same org', intOption('--seed', 0), 1)
    .option('--users <n>', 'number of users', intOption('--users', 1), 200)
    .option('--groups <n>', 'number of groups (default: users/20)', intOption('--groups', 1))
    .option('--apps <n>', 'number of apps (default: users/100)', intOption('--apps', 1))
    .option('--rate-limit-factor <x>', "multiply Okta's default per-minute limits", Number, 1)
    .option('--token <token>', 'SSWS API token the simulator accepts (default: sim-token-SEED)')
    .action(async (opts: { port: number; seed: number; users: number; groups?: number; apps?: number; rateLimitFactor: number; token?: string }) => {
      const sim = await startOktaSim({
        port: opts.port,
        seed: opts.seed,
        users: opts.users,
        groups: opts.groups,
        apps: opts.apps,
        rateLimitFactor: opts.rateLimitFactor,
        apiToken: opts.token,
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
