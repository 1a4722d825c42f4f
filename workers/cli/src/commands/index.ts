import type { Registrar } from '../program.js';
import { registerIntegration } from './integration.js';
import { registerScan } from './scan.js';
import { registerIngestEvents } from './ingest-events.js';
import { registerReport } from './report.js';
import { registerInfra } from './infra.js';
import { registerDemo } from './demo.js';
import { registerWorkers } from './workers.js';
import { registerRuns } from './runs.js';

/** Commands beyond the core ones registered in program.ts. */
export const registerAll: Registrar[] = [registerIntegration, registerScan, registerIngestEvents, registerReport, registerInfra, registerDemo, registerWorkers, registerRuns];
