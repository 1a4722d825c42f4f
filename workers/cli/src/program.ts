import { Command, CommanderError } from 'commander';
import { ConfigError, describeError } from '@idgraph/core';
import { SecretStoreError } from '@idgraph/graph';
import { UserError } from './errors.js';
import { out } from './output.js';
import { registerMigrate } from './commands/migrate.js';
import { registerGraph } from './commands/graph.js';

export type Registrar = (program: Command) => void;

export function buildProgram(extra: Registrar[] = []): Command {
  const program = new Command('idgraph')
    .description('Identity-posture graph for Okta: collect, stream, export and report.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of [registerMigrate, registerGraph, ...extra]) register(program);
  for (const cmd of allCommands(program)) cmd.exitOverride();
  return program;
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: string[], extra: Registrar[] = []): Promise<number> {
  const program = buildProgram(extra);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return 2;
  }
  if (err instanceof ConfigError) {
    out.note(`idgraph: configuration error: ${err.message}`);
    return 1;
  }
  // Said in full (describeError caps length): what key or row is wrong and what to do; never a secret.
  if (err instanceof SecretStoreError) {
    out.note(`idgraph: ${err.message}`);
    return 1;
  }
  if (err instanceof UserError) {
    out.note(`idgraph: ${err.message}`);
    return err.exitCode;
  }
  const e = err as Error;
  out.note(`idgraph: ${describeError(err)}`);
  if (process.env.IDGRAPH_DEBUG) out.note(e?.stack ?? '');
  return 1;
}
