#!/usr/bin/env node
import { runCli } from './program.js';
import { registerAll } from './commands/index.js';

const code = await runCli(process.argv.slice(2), registerAll);
process.exitCode = code;
// Commands close their own resources; a lingering handle (a pool, a timer) must not keep a finished CLI alive.
setTimeout(() => process.exit(code), 200).unref();
