import { describe, expect, it } from 'vitest';
import { buildProgram } from '../program.js';
import { COMMAND_MODULES, CORE_COMMANDS, registrarsFor } from './index.js';

describe('loading only the invoked command module', () => {
  it('lists every top-level command its module registers', async () => {
    const commandsOf = (registrars: Awaited<ReturnType<typeof registrarsFor>>) => buildProgram(registrars).commands.map((c) => c.name());
    const core = commandsOf([]);
    expect(core).toEqual(CORE_COMMANDS);
    for (const m of COMMAND_MODULES) {
      expect(commandsOf([await m.load()]).filter((n) => !core.includes(n))).toEqual(m.names);
    }
  });

  it('loads one module for a known command and all of them otherwise', async () => {
    expect(await registrarsFor(['ingest-events', '--integration', 'x'])).toHaveLength(1);
    expect(await registrarsFor(['collect-now', 'w'])).toHaveLength(1);
    expect(await registrarsFor(['graph', 'export'])).toEqual([]);
    for (const argv of [[], ['--help'], ['help', 'scan'], ['no-such-command']]) {
      expect(await registrarsFor(argv)).toHaveLength(COMMAND_MODULES.length);
    }
  });
});
