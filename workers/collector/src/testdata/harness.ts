/**
 * Test harness: a simulator org, a fresh PostgreSQL database with the graph schema, a store with
 * the graph reader, one integration, and an Okta client pointed at the simulator.
 */
import { randomBytes } from 'node:crypto';
import { createLogger } from '@idgraph/core';
import { GraphStore, createSecretBox, migrateDatabase, openDatabase, type GraphDb, type ExportLine } from '@idgraph/graph';
import { createMemoryRateGovernor, createOktaClient, type OktaClient } from '@idgraph/okta';
import { startOktaSim, type OktaSim, type OktaSimOptions } from '@idgraph/okta-sim';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { RequestMeter } from '../progress.js';

export interface Harness {
  sim: OktaSim;
  db: TestDatabase;
  gdb: GraphDb;
  store: GraphStore;
  integration: { id: string; schedule?: { logBackfillDays?: number } | null };
  meter: RequestMeter;
  client: OktaClient;
  logger: ReturnType<typeof createLogger>;
  exportLines(): Promise<ExportLine[]>;
  close(): Promise<void>;
}

export async function startHarness(label: string, simOpts: OktaSimOptions): Promise<Harness> {
  const sim = await startOktaSim({ tokenShare: 1, ...simOpts });
  const db = await createTestDatabase(label);
  const gdb = await openDatabase({ databaseUrl: db.url });
  await migrateDatabase(gdb);
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const graph = new GraphStore(gdb, { tenant: 't1', secretBox: createSecretBox(randomBytes(32).toString('base64url')), logger });
  await graph.ensureTenant();
  const integration = await graph.createIntegration({
    name: 'sim',
    orgUrl: sim.url,
    authMethod: 'ssws',
    secrets: { token: sim.apiToken },
    allowHttp: true,
  });
  const store = graph;
  const meter = new RequestMeter();
  const client = createOktaClient({
    orgUrl: sim.url,
    auth: { kind: 'ssws', token: sim.apiToken },
    allowInsecureHttp: true,
    governor: createMemoryRateGovernor({ share: 1, maxConcurrent: 16 }),
    onRequest: meter.onRequest,
    logger,
  });
  return {
    sim,
    db,
    gdb,
    store,
    integration: { id: integration.id, schedule: integration.schedule ?? null },
    meter,
    client,
    logger,
    async exportLines() {
      const lines: ExportLine[] = [];
      for await (const line of graph.exportGraph({ integrationId: integration.id })) lines.push(line);
      return lines;
    },
    async close() {
      await sim.close();
      await gdb.close();
      await db.drop();
    },
  };
}
