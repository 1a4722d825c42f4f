import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run against sources; the CLI subprocess tests use the built dist (pnpm test builds first).
export default defineConfig({
  resolve: {
    alias: {
      '@idgraph/core': src('./libs/core/src/index.ts'),
      '@idgraph/graph/event-copy': src('./libs/graph/src/event-copy.ts'),
      '@idgraph/graph': src('./libs/graph/src/index.ts'),
      '@idgraph/normalize': src('./libs/normalize/src/index.ts'),
      '@idgraph/okta-sim': src('./libs/okta-sim/src/index.ts'),
      '@idgraph/okta': src('./libs/okta/src/index.ts'),
      '@idgraph/posture': src('./libs/posture/src/index.ts'),
      '@idgraph/integrations': src('./libs/integrations/src/index.ts'),
      '@idgraph/privilege': src('./libs/privilege/src/index.ts'),
      '@idgraph/actions': src('./libs/actions/src/index.ts'),
      // Subpath entries first: an alias also matches as a prefix.
      '@idgraph/collector/refresh': src('./workers/collector/src/refresh-entry.ts'),
      '@idgraph/collector': src('./workers/collector/src/index.ts'),
      '@idgraph/stream-consumer': src('./workers/stream-consumer/src/index.ts'),
      '@idgraph/infra': src('./infra/src/index.ts'),
      '@idgraph/cli': src('./workers/cli/src/index.ts'),
      '@idgraph/server': src('./workers/server/src/index.ts'),
      '@idgraph/test-support': src('./test/support/index.ts'),
    },
  },
  test: {
    include: ['libs/*/src/**/*.test.ts', 'workers/*/src/**/*.test.ts', 'infra/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});
