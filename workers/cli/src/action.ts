import type { OpenDatabaseOptions } from '@idgraph/graph';
import { CliContext } from './context.js';

/** Wraps a command body: one context per invocation, closed afterwards; errors become exit codes. */
export function action<A extends unknown[]>(
  body: (ctx: CliContext, ...args: A) => Promise<number | void>,
  opts: { quiet?: (...args: A) => boolean; verbose?: (...args: A) => boolean; database?: Pick<OpenDatabaseOptions, 'genericPlans'> } = {},
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const ctx = new CliContext({ quiet: opts.quiet?.(...args), verbose: opts.verbose?.(...args), database: opts.database });
    try {
      const code = await body(ctx, ...args);
      process.exitCode = code ?? 0;
    } finally {
      await ctx.close();
    }
  };
}
