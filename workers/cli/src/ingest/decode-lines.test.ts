import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { copyTupleEnd } from '@idgraph/graph';
import { EventChunkDecoder, type DecodedChunk } from './decode-lines.js';

const SOURCE = 'aws.partner/okta.com/acme/stream';
const INTEGRATION = '6fb8cd70-167a-4313-8599-b2d7f7190722';

const logEvent = (uuid: string, extra: Record<string, unknown> = {}) => ({
  uuid,
  published: '2026-01-01T00:00:00.000Z',
  eventType: 'user.session.start',
  severity: 'INFO',
  actor: { id: '00u1', type: 'User', alternateId: 'ä@example.com', displayName: 'Ä' },
  outcome: { result: 'SUCCESS' },
  target: [],
  ...extra,
});
const envelope = (detail: unknown, source = SOURCE) =>
  JSON.stringify({ version: '0', id: randomUUID(), 'detail-type': 'SystemLog', source, account: '1', time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: [], detail });

/** Decodes `bytes` given in pieces cut at `cuts`, merging what the chunks hold. */
function decodeInPieces(bytes: Buffer, cuts: number[], opts: ConstructorParameters<typeof EventChunkDecoder>[0] = {}) {
  const decoder = new EventChunkDecoder(opts);
  const bounds = [0, ...cuts, bytes.length];
  const chunks: DecodedChunk[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) chunks.push(decoder.decode(bytes.subarray(bounds[i], bounds[i + 1]), i + 2 === bounds.length));
  return {
    uuids: chunks.flatMap((c) => c.uuids),
    read: chunks.reduce((n, c) => n + c.read, 0),
    rejections: chunks.flatMap((c) => c.rejections),
    chunks,
  };
}

describe('EventChunkDecoder', () => {
  const lines = [
    envelope(logEvent('e1')),
    '',
    JSON.stringify(logEvent('e2')),
    '   ',
    'not json',
    envelope(logEvent('e3'), 'aws.partner/okta.com/other/stream'),
    `${envelope(logEvent('e4'))}\r`,
    JSON.stringify(logEvent('e5', { debugContext: { debugData: { note: 'tab\there "quoted" \\ ünïcødé \u2028' } } })),
  ];
  const text = `${lines.join('\n')}\n${envelope(logEvent('e6'))}`; // the last line has no newline
  const bytes = Buffer.from(`\ufeff${text}`);

  it('reads lines cut anywhere across chunks the same as in one piece', () => {
    const whole = decodeInPieces(bytes, [], { eventSource: SOURCE });
    expect(whole.uuids).toEqual(['e1', 'e2', 'e4', 'e5', 'e6']);
    expect(whole.read).toBe(7);
    expect(whole.rejections).toEqual([
      { line: 5, reason: 'not JSON' },
      { line: 6, reason: `event source aws.partner/okta.com/other/stream is not this integration's (${SOURCE})` },
    ]);
    for (let cut = 1; cut < bytes.length; cut += 7) {
      expect(decodeInPieces(bytes, [cut], { eventSource: SOURCE })).toMatchObject({ uuids: whole.uuids, read: whole.read, rejections: whole.rejections });
    }
    // Every byte its own chunk, including inside multi-byte characters.
    const bytewise = decodeInPieces(bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1), { eventSource: SOURCE });
    expect(bytewise).toMatchObject({ uuids: whole.uuids, read: whole.read, rejections: whole.rejections });
  });

  it('accepts any Okta source when the integration names none', () => {
    expect(decodeInPieces(bytes, []).uuids).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
  });

  it('encodes one COPY tuple per accepted event, carrying the event text as received', () => {
    const { chunks } = decodeInPieces(bytes, [bytes.length >> 1], { copyRowsFor: { tenantId: 'acme', integrationId: INTEGRATION } });
    for (const chunk of chunks) {
      expect(chunk.rows).toBeNull();
      expect(chunk.tupleEnds).toHaveLength(chunk.uuids.length);
      let start = 0;
      for (const end of chunk.tupleEnds!) {
        expect(copyTupleEnd(chunk.tuples!, start, 10)).toBe(end);
        start = end;
      }
      expect(start).toBe(chunk.tuples!.length);
    }
    const all = Buffer.concat(chunks.map((c) => Buffer.from(c.tuples!)));
    expect(all.includes(Buffer.from(JSON.stringify(logEvent('e5', { debugContext: { debugData: { note: 'tab\there "quoted" \\ ünïcødé \u2028' } } }))))).toBe(true);
  });

  it('keeps rows, text included, when not encoding; lists only the events that change something', () => {
    const change = logEvent('c1', {
      eventType: 'group.user_membership.add',
      target: [
        { id: '00u1', type: 'User' },
        { id: '00g1', type: 'UserGroup' },
      ],
    });
    const input = Buffer.from([JSON.stringify(logEvent('q1')), envelope(change)].join('\n'));
    const [chunk] = decodeInPieces(input, []).chunks;
    expect(chunk!.rows!.map((r) => r.uuid)).toEqual(['q1', 'c1']);
    expect(JSON.parse(chunk!.rows![1]!.rawJson!)).toEqual(change);
    expect(chunk!.changes).toEqual([
      {
        index: 1,
        eventType: 'group.user_membership.add',
        published: new Date('2026-01-01T00:00:00.000Z'),
        mutations: [{ kind: 'membership.add', at: new Date('2026-01-01T00:00:00.000Z'), userId: '00u1', groupId: '00g1' }],
        refresh: [],
      },
    ]);
  });

  it('decodes invalid UTF-8 as replacement characters, like the text path', () => {
    const input = Buffer.concat([Buffer.from('{"uuid":"x1","published":"2026-01-01T00:00:00.000Z","eventType":"t","actor":{"id":"a","type":"User","displayName":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}\n')]);
    const [chunk] = decodeInPieces(input, []).chunks;
    expect(chunk!.rows![0]!.rawJson).toContain('\ufffd\ufffd');
  });
});

describe('EventChunkDecoder: events published after Okta\'s clock', () => {
  it('rejects an event published beyond the allowed skew with the reason, and keeps one within it', () => {
    const soon = new Date(Date.now() + 60_000).toISOString();
    const text = [JSON.stringify(logEvent('f1', { published: '9999-12-31T23:59:59.000Z' })), JSON.stringify(logEvent('f2', { published: soon }))].join('\n');
    const { uuids, rejections } = decodeInPieces(Buffer.from(text), [], { maxFutureMs: 300_000 });
    expect(uuids).toEqual(['f2']);
    expect(rejections).toEqual([{ line: 1, reason: expect.stringMatching(/^event f1: published 9999-12-31T23:59:59\.000Z is \d+ s later than Okta's clock .* more than the 300 s allowed for clock skew \(IDGRAPH_EVENT_MAX_FUTURE_SECONDS\): invalid, not applied$/) }]);
    // Without a limit (the default of the decoder alone) nothing is judged by time.
    expect(decodeInPieces(Buffer.from(text), []).uuids).toEqual(['f1', 'f2']);
  });
});
