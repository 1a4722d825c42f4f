#!/usr/bin/env node
import './quiet-warnings.js';
import './heap.js';
import { runCli } from './program.js';


import { registrarsFor } from './commands/index.js';

const argv = process.argv.slice(2);
const code = await runCli(argv, await registrarsFor(argv));
process.exitCode = code;
// Let everything written to stdout reach the pipe first (an export can be large), then make sure
// a lingering handle (a pool, a timer) cannot keep a finished CLI alive.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
setTimeout(() => process.exit(code), 1000).unref();
