import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { openDatabase, type GraphDb } from './db.js';
import { executorOf } from './executor.js';
import { CopyTupleWriter, copyTupleEnd } from './copy-binary.js';

describe('binary COPY tuples, read back by PostgreSQL', () => {
  let tdb: TestDatabase;
  let gdb: GraphDb;

  beforeAll(async () => {
    tdb = await createTestDatabase('copy_binary');
    gdb = await openDatabase({ databaseUrl: tdb.url });
    await gdb.execute(sql`CREATE TABLE t (n text, s text, u uuid, at timestamptz, raw text)`);
  });
  afterAll(async () => {
    await gdb?.close();
    await tdb?.drop();
  });

  it('stores text, nulls, uuids and times before and after 2000 exactly, across buffer growth', async () => {
    const times = ['1970-01-01T00:00:00.000Z', '1999-12-31T23:59:59.999Z', '2000-01-01T00:00:00.000Z', '2026-11-25T13:02:42.123Z', '2262-04-11T23:47:16.854Z', '1901-12-13T20:45:52.001Z'];
    const texts = ['', 'plain', 'tab\tnew\nline\\back "q"', 'ünïcødé ✓ 𝄞', 'lone \ud800 surrogate', null];
    const raw = Buffer.from(JSON.stringify({ big: 'x'.repeat(5000), u: 'ü' }));
    const ascii = JSON.stringify({ big: 'y'.repeat(5000) });
    const w = new CopyTupleWriter(16); // grows many times
    const ends: number[] = [];
    for (let n = 0; n < times.length; n++) {
      w.tuple(5).text(String(n)).text(texts[n]).uuid(n % 2 ? '6FB8CD70-167A-4313-8599-B2D7F7190722' : '6fb8cd70-167a-4313-8599-b2d7f7190722');
      w.timestamptz(Date.parse(times[n]!));
      if (n % 2) w.text(raw.toString());
      else w.asciiText(ascii);
      ends.push(w.length);
    }
    const tuples = w.take();
    expect(w.length).toBe(0);
    let start = 0;
    for (const end of ends) {
      expect(copyTupleEnd(tuples, start, 5)).toBe(end);
      expect(copyTupleEnd(tuples, start, 4)).toBe(-1);
      start = end;
    }
    expect(copyTupleEnd(tuples.subarray(0, ends[0]! - 1), 0, 5)).toBe(-1);

    const exec = executorOf(gdb.db);
    await exec.tx((tx) => tx.copyIn!('t', ['n', 's', 'u', 'at', 'raw'], [tuples.subarray(0, ends[2]), tuples.subarray(ends[2])]));
    const rows = await gdb.execute<{ n: string; s: string | null; u: string; at: string; raw: string }>(sql`
      SELECT n, s, u::text AS u, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, raw FROM t ORDER BY n`);
    expect(rows.map((r) => r.at)).toEqual(times);
    expect(rows.map((r) => r.s)).toEqual(texts.map((t) => (t === null ? null : Buffer.from(t).toString())));
    expect(new Set(rows.map((r) => r.u))).toEqual(new Set(['6fb8cd70-167a-4313-8599-b2d7f7190722']));
    for (const r of rows) expect(r.raw).toBe(Number(r.n) % 2 ? raw.toString() : ascii);
  });

  it('writes on into a buffer given back, once nothing uses what was taken from it', () => {
    const w = new CopyTupleWriter(32);
    w.tuple(1).text('first');
    const first = w.take();
    w.tuple(1).text('second');
    const second = w.take();
    expect(second.buffer).not.toBe(first.buffer);
    w.recycle(first.buffer as ArrayBuffer);
    // The buffer being written when it came back is taken first; then the writer moves on into it.
    w.tuple(1).text('third');
    expect(w.take().buffer).not.toBe(first.buffer);
    w.tuple(1).text('fourth');
    const fourth = w.take();
    expect(fourth.buffer).toBe(first.buffer);
    expect(Buffer.from(fourth).subarray(6).toString()).toBe('fourth');
  });

  it('refuses what is not a uuid or a time, and can drop an unfinished tuple', () => {
    const w = new CopyTupleWriter();
    expect(() => w.uuid('6fb8cd70167a43138599b2d7f7190722')).toThrow(/not a uuid/);
    expect(() => w.timestamptz(Number.NaN)).toThrow(/not a valid time/);
    w.tuple(1).text('kept');
    const kept = w.length;
    w.tuple(1).text('dropped');
    w.truncate(kept);
    expect(copyTupleEnd(w.take(), 0, 1)).toBe(kept);
    expect(() => w.truncate(5)).toThrow(/cannot truncate/);
  });
});
