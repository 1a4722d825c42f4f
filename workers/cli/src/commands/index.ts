import type { Registrar } from '../program.js';

/**
 * The CLI's command modules and the top-level commands each registers. Only the invoked command's
 * module is loaded: several pull in the AWS SDK, BullMQ or the simulator's HTTP server, and
 * loading every module made each run start about half a second later. Help, and anything not
 * recognised, loads them all.
 */
export const COMMAND_MODULES: readonly { names: readonly string[]; load: () => Promise<Registrar> }[] = [
  { names: ['sim'], load: async () => (await import('./sim.js')).registerSim },
  { names: ['integration'], load: async () => (await import('./integration.js')).registerIntegration },
  { names: ['scan'], load: async () => (await import('./scan.js')).registerScan },
  { names: ['ingest-events'], load: async () => (await import('./ingest-events.js')).registerIngestEvents },
  { names: ['report'], load: async () => (await import('./report.js')).registerReport },
  { names: ['infra'], load: async () => (await import('./infra.js')).registerInfra },
  { names: ['demo'], load: async () => (await import('./demo.js')).registerDemo },
  { names: ['workers'], load: async () => (await import('./workers.js')).registerWorkers },
  { names: ['runs', 'status', 'collect-now'], load: async () => (await import('./runs.js')).registerRuns },
  { names: ['serve'], load: async () => (await import('./serve.js')).registerServe },
  { names: ['api-key'], load: async () => (await import('./api-key.js')).registerApiKey },
  { names: ['action', 'audit'], load: async () => (await import('./action.js')).registerAction },
  { names: ['privacy'], load: async () => (await import('./action.js')).registerPrivacy },
  { names: ['access', 'paths'], load: async () => (await import('./privilege.js')).registerPrivilege },
];

/** Commands program.ts always registers (their modules are light). */
export const CORE_COMMANDS: readonly string[] = ['migrate', 'graph'];

/** The registrars `argv` needs: the module of its command (the first word), none for a core command, or every module. */
export async function registrarsFor(argv: readonly string[]): Promise<Registrar[]> {
  const command = argv.find((a) => !a.startsWith('-'));
  if (command !== undefined && CORE_COMMANDS.includes(command)) return [];
  const own = COMMAND_MODULES.find((m) => command !== undefined && m.names.includes(command));
  return Promise.all((own ? [own] : COMMAND_MODULES).map((m) => m.load()));
}
