/**
 * `idgraph serve` runs with a 64 MB young generation (V8's --max-semi-space-size; the default is
 * 16 MB). Each person view allocates on the order of a megabyte that dies young; with the default,
 * scavenges ran every ~25 ms at 20 clients and took up to 30 ms each. Measured on the person route
 * (100k users, 20 clients, same minutes, alternating): 584/604 requests/s and p99 71/68 ms with
 * it, 523/511 and p99 94/91 ms without.
 *
 * V8 sizes the young generation when the process starts: setting the flag at run time
 * (v8.setFlagsFromString, as this file did before) left it capped at the default. So `serve`
 * starts itself again, once, with the flag, unless it was given (on the command line or in
 * NODE_OPTIONS). The first process stays the one to signal and wait for: it passes SIGINT,
 * SIGTERM and SIGHUP on, once each (the server runs in a process group of its own, so Ctrl-C in a
 * terminal reaches it once, through the first process), and exits with the server's code. If the
 * first process dies without a word (SIGKILL), the server sees its IPC channel close and stops as
 * on SIGTERM: no server is left holding the port.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const FLAG = '--max-semi-space-size';
/** Set in the server's environment by the process that started it. */
const STARTED_BY = 'IDGRAPH_STARTED_BY_PID';
const YOUNG_GENERATION_MB = 64;
/** The long-running commands that were measured to gain from it. */
const COMMANDS = new Set(['serve']);

/** The child's exit code when this process started the command again with the flag; null when it should run the command itself. */
export function runWithLargerYoungGeneration(argv: readonly string[]): Promise<number> | null {
  if (!COMMANDS.has(argv[0] ?? '')) return null;
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith(FLAG));
  const script = process.argv[1];
  if (given || !script) return null;
  const child = spawn(process.execPath, [...process.execArgv, `${FLAG}=${YOUNG_GENERATION_MB}`, script, ...argv], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
    env: { ...process.env, [STARTED_BY]: String(process.pid) },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`idgraph: cannot start ${process.execPath}: ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
  });
}

/**
 * In the server started by runWithLargerYoungGeneration: when the first process is gone (its IPC
 * channel closes), stop as on SIGTERM.
 */
export function stopWithFirstProcess(): void {
  if (!process.env[STARTED_BY] || !process.channel) return;
  delete process.env[STARTED_BY];
  // The channel only watches for the first process: it must not keep a finished server alive.
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
