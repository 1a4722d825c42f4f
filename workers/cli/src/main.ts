#!/usr/bin/env node
import './quiet-warnings.js';
import { runWithLargerYoungGeneration, stopWithFirstProcess } from './heap.js';

const argv = process.argv.slice(2);
const restarted = runWithLargerYoungGeneration(argv);
if (!restarted) stopWithFirstProcess();
let code: number;
if (restarted) {
  code = await restarted;
} else {
  // Loaded only here: a process that starts the command again need not load it.
  const [{ runCli }, { registrarsFor }] = await Promise.all([import('./program.js'), import('./commands/index.js')]);
  code = await runCli(argv, await registrarsFor(argv));
}
process.exitCode = code;
// Let everything written to stdout reach the pipe first (an export can be large), then make sure
// a lingering handle (a pool, a timer) cannot keep a finished CLI alive.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
setTimeout(() => process.exit(code), 1000).unref();
