import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { COPY_EVENT_COLUMNS, copyTupleEnd } from '@idgraph/graph';
import { EventLineDecoder, type DecodedChunk } from './decode-lines.js';

const SOURCE = 'aws.partner/okta.com/acme/stream';
const INTEGRATION = '6fb8cd70-167a-4313-8599-b2d7f7190722';

/** A uuid named by a short tag, so that tests read as e1, e2 …: 00000000-0000-4000-8000-000000006531. */
const id = (tag: string) => `00000000-0000-4000-8000-${Buffer.from(tag).toString('hex').padStart(12, '0')}`;
const ids = (...tags: string[]) => tags.map(id);

const logEvent = (tag: string, extra: Record<string, unknown> = {}) => ({
  uuid: id(tag),
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
function decodeInPieces(bytes: Buffer, cuts: number[], opts: ConstructorParameters<typeof EventLineDecoder>[0] = {}) {
  const decoder = new EventLineDecoder(opts);
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

describe('EventLineDecoder', () => {
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
    expect(whole.uuids).toEqual(ids('e1', 'e2', 'e4', 'e5', 'e6'));
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
    expect(decodeInPieces(bytes, []).uuids).toEqual(ids('e1', 'e2', 'e3', 'e4', 'e5', 'e6'));
  });

  it('encodes one COPY tuple per accepted event, carrying the event text as received', () => {
    const { chunks } = decodeInPieces(bytes, [bytes.length >> 1], { copyRowsFor: { tenantId: 'acme', integrationId: INTEGRATION } });
    for (const chunk of chunks) {
      expect(chunk.rows).toBeNull();
      expect(chunk.tupleEnds).toHaveLength(chunk.uuids.length);
      let start = 0;
      for (const end of chunk.tupleEnds!) {
        expect(copyTupleEnd(chunk.tuples!, start, COPY_EVENT_COLUMNS.length)).toBe(end);
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
    expect(chunk!.rows!.map((r) => r.uuid)).toEqual(ids('q1', 'c1'));
    expect(JSON.parse(chunk!.rows![1]!.rawJson!)).toEqual(change);
    expect(chunk!.changes).toEqual([
      {
        index: 1,
        mutations: [{ kind: 'membership.add', at: new Date('2026-01-01T00:00:00.000Z'), userId: '00u1', groupId: '00g1' }],
        refresh: [],
        implied: [{ kind: 'group.apps', groupId: '00g1' }],
      },
    ]);
  });

  it('rejects a line that is not UTF-8, such as a lone surrogate encoded on its own, instead of storing replacement characters', () => {
    const [head, tail] = JSON.stringify(logEvent('x1', { displayMessage: '@@' })).split('@@');
    const line = (bytes: number[]) => Buffer.concat([Buffer.from(head!), Buffer.from(bytes), Buffer.from(tail!)]);
    // ED A0 80 is U+D800 written as if it were a character (CESU-8 / WTF-8); FF FE is no UTF-8 at all.
    const input = Buffer.concat([line([0xed, 0xa0, 0x80]), Buffer.from('\n'), line([0xff, 0xfe]), Buffer.from('\n'), line([0xf0, 0x9f, 0x98, 0x80])]);
    const decoded = decodeInPieces(input, [5]);
    const reason = 'line is not valid UTF-8 (an encoded lone surrogate, or bytes of another encoding): give the events as UTF-8 text';
    expect(decoded.rejections).toEqual([{ line: 1, reason }, { line: 2, reason }]);
    // A real 4-byte character (U+1F600) is fine.
    expect(decoded.uuids).toEqual(ids('x1'));
    expect(decoded.chunks.flatMap((c) => c.rows ?? []).map((r) => r.rawJson)).toEqual([expect.stringContaining('"displayMessage":"\u{1f600}"')]);
  });

  it('rejects lines over the size limit without holding them, however they are cut into chunks', () => {
    const limits = { maxEventBytes: 4096 };
    const small = JSON.stringify(logEvent('s1'));
    const big = JSON.stringify(logEvent('b1', { displayMessage: 'x'.repeat(20_000) }));
    const bytes = Buffer.from([small, big, small.replace(id('s1'), id('s2')), big].join('\n'));
    const reason = `event is ${Buffer.byteLength(big)} bytes, over the limit of 4096 (IDGRAPH_MAX_EVENT_BYTES)`;
    for (const cuts of [[], [small.length + 10], [small.length + 10, small.length + 9000, small.length + 19000], Array.from({ length: 60 }, (_, i) => (i + 1) * 1000)]) {
      const decoder = new EventLineDecoder({ limits });
      const bounds = [0, ...cuts, bytes.length];
      const chunks: DecodedChunk[] = [];
      for (let i = 0; i + 1 < bounds.length; i++) {
        chunks.push(decoder.decode(bytes.subarray(bounds[i], bounds[i + 1]), i + 2 === bounds.length));
        // What is carried to the next chunk never grows much past the limit.
        expect((decoder as unknown as { carry: Buffer | null }).carry?.length ?? 0).toBeLessThanOrEqual(4096 + 64);
      }
      expect(chunks.flatMap((c) => c.uuids), String(cuts)).toEqual(ids('s1', 's2'));
      expect(chunks.flatMap((c) => c.rejections), String(cuts)).toEqual([{ line: 2, reason }, { line: 4, reason }]);
      expect(chunks.reduce((n, c) => n + c.read, 0)).toBe(4);
    }
  });

  it('rejects deep nesting, unpaired surrogate escapes and non-uuid uuids with their reasons', () => {
    const lines = [
      JSON.stringify(logEvent('d1', { debugContext: { debugData: JSON.parse(`${'['.repeat(80)}${']'.repeat(80)}`) } })),
      JSON.stringify(logEvent('d2', { displayMessage: 'a\ud800' })),
      JSON.stringify({ ...logEvent('d3'), uuid: 'not-a-uuid-7f3a' }),
      JSON.stringify(logEvent('d4', { debugContext: { debugData: JSON.parse(`${'['.repeat(20)}${']'.repeat(20)}`) } })),
    ];
    const decoded = decodeInPieces(Buffer.from(lines.join('\n')), [], { limits: { maxDepth: 30 } });
    expect(decoded.uuids).toEqual(ids('d4'));
    expect(decoded.rejections).toEqual([
      { line: 1, reason: 'event nests objects and arrays deeper than 30 levels (IDGRAPH_MAX_EVENT_DEPTH)' },
      { line: 2, reason: 'message contains an unpaired UTF-16 surrogate escape (a \\ud800-\\udfff escape not in a high-low pair), which PostgreSQL jsonb cannot read' },
      { line: 3, reason: 'LogEvent.uuid is not a uuid (expected 8-4-4-4-12 hex digits, like c6ed294a-fef4-11ed-a5b1-bbb7c1de1a4b)' },
    ]);
  });
});

describe('EventLineDecoder: events published after Okta\'s clock', () => {
  it('rejects an event published beyond the allowed skew with the reason, and keeps one within it', () => {
    const soon = new Date(Date.now() + 60_000).toISOString();
    const text = [JSON.stringify(logEvent('f1', { published: '9999-12-31T23:59:59.000Z' })), JSON.stringify(logEvent('f2', { published: soon }))].join('\n');
    const { uuids, rejections } = decodeInPieces(Buffer.from(text), [], { maxFutureMs: 300_000 });
    expect(uuids).toEqual(ids('f2'));
    expect(rejections).toEqual([{ line: 1, reason: expect.stringMatching(/^event \S+: published 9999-12-31T23:59:59\.000Z is \d+ s later than Okta's clock .* more than the 300 s allowed for clock skew \(IDGRAPH_EVENT_MAX_FUTURE_SECONDS\): invalid, not applied$/) }]);
    // Without a limit (the default of the decoder alone) nothing is judged by time.
    expect(decodeInPieces(Buffer.from(text), []).uuids).toEqual(ids('f1', 'f2'));
  });
});
