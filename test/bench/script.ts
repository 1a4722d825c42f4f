/**
 * What a benchmark module needs to run on its own (`pnpm exec tsx test/bench/NAME.ts --flag value …`):
 * its `--name value` flags, and running it as a script that prints its result as JSON.
 */
import { pathToFileURL } from 'node:url';

export interface BenchFlags {
  flags: ReadonlyMap<string, string>;
  /** A positive number flag, or `fallback` when absent. */
  num(name: string, fallback: number | undefined): number | undefined;
}

/** Parses `--name value` pairs; anything else is refused with `usage`. */
export function parseBenchFlags(argv: readonly string[], usage: string): BenchFlags {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!;
    const value = argv[i + 1];
    if (!key.startsWith('--') || value === undefined) throw new Error(`bad arguments near ${JSON.stringify(key)}: use ${usage}`);
    flags.set(key.slice(2), value);
  }
  const num = (name: string, fallback: number | undefined): number | undefined => {
    const raw = flags.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${JSON.stringify(raw)}`);
    return n;
  };
  return { flags, num };
}

/** When the module at `moduleUrl` is the script node runs: runs `bench` and prints its result (exit 1 on failure). */
export function runBenchScript(moduleUrl: string, name: string, bench: (argv: readonly string[]) => Promise<unknown>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  bench(process.argv.slice(2)).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${name} bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
