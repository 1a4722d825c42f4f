import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@idgraph/core';
import type { CollectorContext } from '../context.js';
import type { OktaLogEventLike, Page } from '../ports.js';
import { collectSystemLog } from './system-log.js';

const event = (extra: Record<string, unknown> = {}): OktaLogEventLike => ({
  uuid: randomUUID(),
  published: '2026-01-01T00:00:00.000Z',
  eventType: 'user.session.start',
  severity: 'INFO',
  actor: { id: '00u1', type: 'User' },
  outcome: { result: 'SUCCESS' },
  target: [],
  ...extra,
});

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < depth; i++) value = { next: value };
  return value;
}

describe('collectSystemLog', () => {
  it('skips, logs and counts events unfit to store, and stores the rest as their JSON text', async () => {
    const good = [event(), event({ displayMessage: 'pair \ud83d\ude00 ok' })];
    const bad: [OktaLogEventLike, RegExp][] = [
      [event({ debugContext: { debugData: nested(200_000) } }), /^event nests objects and arrays deeper than 64 levels/],
      [event({ debugContext: { debugData: nested(80) } }), /^event nests objects and arrays deeper than 64 levels/],
      [event({ displayMessage: 'lone \ud800' }), /^message contains an unpaired UTF-16 surrogate escape/],
      [event({ uuid: 'not-a-uuid-7f3a' }), /^LogEvent\.uuid is not a uuid/],
      [event({ debugContext: { debugData: { padding: 'x'.repeat(10_000) } } }), /^event is \d+ bytes, over the limit of 8192 \(IDGRAPH_MAX_EVENT_BYTES\)$/],
    ];
    const pages: Page<OktaLogEventLike>[] = [
      { items: [good[0]!, ...bad.map(([e]) => e), good[1]!], nextUrl: 'https://acme.okta.com/api/v1/logs?after=1', fetchedAt: new Date() },
      { items: [], nextUrl: 'https://acme.okta.com/api/v1/logs?after=1', fetchedAt: new Date() },
    ];
    const stored: { uuid: string; rawJson: string | null | undefined }[] = [];
    const logged: Record<string, unknown>[] = [];
    const ctx = {
      client: { pollLogs: async () => pages.shift()! },
      store: {
        getCheckpoint: async () => null,
        commitPage: async () => undefined,
        ingestEvents: async (items: { row: { uuid: string; rawJson?: string | null } }[]) => {
          stored.push(...items.map((i) => ({ uuid: i.row.uuid, rawJson: i.row.rawJson })));
          return { stored: items.length, duplicates: 0, applied: 0, storedUuids: items.map((i) => i.row.uuid), deferred: [] };
        },
      },
      integration: { id: 'int-1' },
      run: { id: 'run-1', startedAt: new Date('2026-02-01T00:00:00.000Z'), status: 'running' },
      logger: createLogger({ level: 'info' }, { write: (l: string) => void logged.push(JSON.parse(l) as Record<string, unknown>) }),
      signal: new AbortController().signal,
      eventLimits: { maxEventBytes: 8192 },
    } as unknown as CollectorContext;

    const result = await collectSystemLog(ctx);
    expect(result).toMatchObject({ resource: 'system_log', complete: true, rejected: bad.length });
    expect(stored.map((s) => s.uuid)).toEqual(good.map((e) => e.uuid));
    expect(stored.map((s) => JSON.parse(s.rawJson!))).toEqual(good);
    const warning = logged.find((l) => l['msg'] === 'System Log events skipped: they cannot be stored as they are');
    expect(warning?.['rejected']).toBe(bad.length);
    const reasons = (warning?.['events'] as { uuid: string; reason: string }[]).map((r) => r.reason);
    bad.forEach(([e, reason], i) => {
      expect(reasons[i]).toMatch(reason);
      expect((warning?.['events'] as { uuid: string }[])[i]!.uuid).toBe(e.uuid);
    });
  });
});
