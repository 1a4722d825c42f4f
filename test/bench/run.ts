/**
 * `pnpm bench [client|collection|stream|ingest|api|privilege|fleet|admin-posture …] [--quick]`: runs the benchmarks and rewrites their
 * sections of BENCHMARKS.md (figures as measured, with the command that produced them).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@idgraph/core';
import { benchApi } from './api.js';
import { benchClient } from './client.js';
import { benchCollection, BENCH_SIZES } from './collection.js';
import { benchFleet, FLEET_SIZES } from './fleet.js';
import { ADMIN_POSTURE_SIZES, benchAdminPosture } from './admin-posture.js';
import { benchIngest } from './ingest.js';
import { benchPrivilege } from './privilege.js';
import { benchStream } from './stream.js';

const log = createLogger({ name: 'bench' });
const FILE = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));

type Bench = { title: string; run: (quick: boolean) => Promise<unknown> };

const BENCHES: Record<string, Bench> = {
  client: {
    title: 'Okta client: listing users, idgraph vs @okta/okta-sdk-nodejs (same simulator, same run)',
    run: (quick) => benchClient({ users: quick ? 10_000 : 100_000, rateLimitFactor: 0.5 }),
  },
  collection: {
    title: 'Collection: full run against a simulated org at Okta default limits × factor',
    run: async (quick) => {
      const sizes = quick ? [BENCH_SIZES.small] : [BENCH_SIZES.small, BENCH_SIZES.full];
      const results = [];
      for (const size of sizes) results.push(await benchCollection(size));
      return results;
    },
  },
  stream: {
    title: 'Stream: SQS (fauxqs) → consumer → PostgreSQL, and ingestEvents without SQS',
    run: (quick) => benchStream(quick ? { events: 2000 } : {}),
  },
  api: {
    title: 'Operator API: p99 of the findings list and the person route, 100,000 users / 1,000,000 memberships, 20 concurrent clients',
    run: (quick) => benchApi(quick ? { users: 20_000, events: 50_000, seconds: 5 } : {}),
  },
  fleet: {
    title: 'Fleet: 20 simulated orgs × 5,000 users at Okta default limits, 4 `idgraph workers` processes, each org against its own floor',
    run: (quick) => benchFleet(quick ? FLEET_SIZES.quick : FLEET_SIZES.full),
  },
  'admin-posture': {
    title: 'Admin posture on the reference org: a first full collection, 100,000 users at Okta default limits, half of each bucket, until the admin checks are final',
    run: (quick) => benchAdminPosture(quick ? ADMIN_POSTURE_SIZES.quick : ADMIN_POSTURE_SIZES.reference),
  },
  ingest: {
    title: '`idgraph ingest-events`: the built CLI replaying a JSONL archive into PostgreSQL',
    run: (quick) => benchIngest(quick ? { events: 50_000, repeats: 1 } : {}),
  },
  privilege: {
    title: 'Effective privilege: every path to Tier Zero and every holder at 100k users / 5k groups / 1M memberships (the built CLI)',
    run: (quick) => benchPrivilege(quick ? { users: 10_000, groups: 500 } : {}),
  },
};

function section(name: string, title: string, command: string, result: unknown): string {
  return [
    `<!-- bench:${name} -->`,
    `## ${title}`,
    '',
    `Command: \`${command}\` — run ${new Date().toISOString()} on ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
    '',
    '```json',
    JSON.stringify(result, null, 2),
    '```',
    `<!-- /bench:${name} -->`,
  ].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const selected = names.length ? names : Object.keys(BENCHES);
  for (const n of selected) if (!BENCHES[n]) throw new Error(`unknown benchmark "${n}": choose from ${Object.keys(BENCHES).join(', ')}`);
  let doc: string;
  try {
    doc = await readFile(FILE, 'utf8');
  } catch {
    doc = '# Benchmarks\n\nWritten by `pnpm bench` (test/bench/run.ts); each section names the command that produced it.\n';
  }
  for (const name of selected) {
    const bench = BENCHES[name]!;
    log.info({ bench: name, quick }, 'benchmark starting');
    const result = await bench.run(quick);
    const text = section(name, bench.title, `pnpm bench ${name}${quick ? ' --quick' : ''}`, result);
    const re = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
    doc = re.test(doc) ? doc.replace(re, text) : `${doc.trimEnd()}\n\n${text}\n`;
    await writeFile(FILE, doc);
    log.info({ bench: name }, 'benchmark written to BENCHMARKS.md');
  }
}

main().catch((err: unknown) => {
  log.error({ err: err instanceof Error ? err.message : String(err) }, 'benchmark failed');
  process.exitCode = 1;
});
