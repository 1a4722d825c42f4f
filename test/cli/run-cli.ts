import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI, as users run it (`pnpm test` builds before testing). */
export const CLI = fileURLToPath(new URL('../../workers/cli/dist/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/**
 * The first runtime warning Node printed ("(node:PID) [DEP…] DeprecationWarning: …"), if any. On a
 * Node below 22 (no longer supported) the AWS SDK's notice that it will need Node 22 is expected.
 */
export function runtimeWarning(stderr: string): string | null {
  for (const line of stderr.split('\n')) {
    if (!/^\(node:\d+\) .*Warning\b/.test(line)) continue;
    if (NODE_MAJOR < 22 && line.includes('NodeVersionSupportWarning')) continue;
    return line;
  }
  return null;
}

/** Runs the built CLI; fails if it printed a runtime warning (no command may on a supported Node). */
export function runCli(args: string[], opts: { env?: Record<string, string | undefined>; input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, LOG_LEVEL: undefined, ...opts.env })) if (v !== undefined) env[k] = v;
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const warning = runtimeWarning(stderr);
      if (warning) reject(new Error(`idgraph ${args.join(' ')} printed a runtime warning on Node ${process.versions.node}: ${warning}`));
      else resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
