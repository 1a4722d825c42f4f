import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { openDatabase, type GraphDb } from './db.js';
import { executorOf, isRetryableTxError } from './executor.js';

describe('top-level transactions retry after losing a deadlock', () => {
  let tdb: TestDatabase;
  let gdb: GraphDb;

  beforeAll(async () => {
    tdb = await createTestDatabase('executor');
    gdb = await openDatabase({ databaseUrl: tdb.url });
    await gdb.execute(sql`CREATE TABLE counters (id int PRIMARY KEY, v int NOT NULL)`);
    await gdb.execute(sql`INSERT INTO counters VALUES (1, 0), (2, 0)`);
  });
  afterAll(async () => {
    await gdb?.close();
    await tdb?.drop();
  });

  it('runs the deadlock victim again, so both transactions commit', async () => {
    const exec = executorOf(gdb.db);
    let attempts = 0;
    const crosswise = (first: number, second: number) =>
      exec.tx(async (tx) => {
        attempts++;
        await tx.rows(sql`UPDATE counters SET v = v + 1 WHERE id = ${first}`);
        await tx.rows(sql`SELECT pg_sleep(0.3)`);
        await tx.rows(sql`UPDATE counters SET v = v + 1 WHERE id = ${second}`);
      });
    await Promise.all([crosswise(1, 2), crosswise(2, 1)]);
    expect(attempts).toBe(3); // two transactions, one of them run twice
    const rows = await exec.rows<{ id: number; v: number }>(sql`SELECT id, v FROM counters ORDER BY id`);
    expect(rows.map((r) => Number(r.v))).toEqual([2, 2]);
  });

  it('runs {prepare: true} queries as named statements the connection keeps; genericPlans plans them once', async () => {
    const one = await openDatabase({ databaseUrl: tdb.url, maxConnections: 1, genericPlans: true });
    try {
      const exec = executorOf(one.db);
      for (let i = 0; i < 3; i++) expect(await exec.rows(sql`SELECT v FROM counters WHERE id = ${1 + (i % 2)}`, { prepare: true })).toHaveLength(1);
      await exec.rows(sql`SELECT v FROM counters WHERE id > ${0}`);
      const kept = await exec.rows<{ statement: string; generic_plans: string; custom_plans: string }>(
        sql`SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%FROM counters%'`,
      );
      // The prepared query, planned once and reused; the plain one is not kept.
      expect(kept.map((k) => ({ statement: k.statement.trim(), generic: Number(k.generic_plans), custom: Number(k.custom_plans) }))).toEqual([
        { statement: 'SELECT v FROM counters WHERE id = $1', generic: 3, custom: 0 },
      ]);
    } finally {
      await one.close();
    }
  });

  it('recognises deadlocks and serialization failures, also wrapped', () => {
    expect(isRetryableTxError(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe(true);
    expect(isRetryableTxError(new Error('Failed query: …', { cause: Object.assign(new Error('x'), { code: '40001' }) }))).toBe(true);
    expect(isRetryableTxError(Object.assign(new Error('unique violation'), { code: '23505' }))).toBe(false);
  });
});
