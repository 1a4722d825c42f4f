import { defineConfig } from 'drizzle-kit';

// `pnpm db:generate` (root) diffs src/schema.ts against the SQL in /migrations and writes the next one.
export default defineConfig({
  dialect: 'postgresql',
  schema: './libs/graph/src/schema.ts',
  out: './migrations',
});
