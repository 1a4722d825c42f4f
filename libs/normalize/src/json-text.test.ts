import { describe, expect, it } from 'vitest';
import { jsonMemberText, nestsDeeperThan, splitAtLastMember, unicodeEscapeProblem } from './json-text.js';
import { listLogEventSamples, readSample } from './testdata/samples.js';

describe('jsonMemberText', () => {
  it('cuts out a member value exactly, whatever it holds', () => {
    const detail = { a: 'x "quoted" \\ back\\\\slash }]{[', b: [1, { c: null }, [true, false]], n: -1.5e3, s: 'ünï \u2028' };
    const text = JSON.stringify({ version: '0', 'detail-type': 'SystemLog', detail, tail: { x: '}' } });
    const cut = jsonMemberText(text, 'detail');
    expect(cut).toBe(JSON.stringify(detail));
    expect(JSON.parse(cut!)).toEqual(detail);
    expect(jsonMemberText(text, 'version')).toBe('"0"');
    expect(jsonMemberText(text, 'missing')).toBeNull();
  });

  it('handles whitespace, escaped names, primitives and repeats like JSON.parse', () => {
    const text = '{ "detail" : 1 ,\n "de\\u0074ail":\t{"k" : [ 1 , 2 ] } , "n": null, "t":true }';
    expect(jsonMemberText(text, 'detail')).toBe('{"k" : [ 1 , 2 ] }');
    expect(jsonMemberText(text, 'n')).toBe('null');
    expect(jsonMemberText(text, 't')).toBe('true');
    expect(jsonMemberText('[1,2]', 'detail')).toBeNull();
    expect(jsonMemberText('{}', 'detail')).toBeNull();
  });

  it('gives back each real LogEvent sample when it is wrapped in an envelope', () => {
    for (const name of listLogEventSamples()) {
      const event = readSample(`logevents/${name}`);
      const pretty = JSON.stringify({ version: '0', detail: event, source: 's' }, null, 2);
      expect(JSON.parse(jsonMemberText(pretty, 'detail')!)).toEqual(event);
    }
  });
});

describe('splitAtLastMember', () => {
  it('splits at the member without scanning its value, leaving the guess to be checked by parsing', () => {
    const text = ' { "version":"0", "resources":["a}", {"b":"]"}], "detail" :\t{"k":"v \\" }"} \n} ';
    expect(splitAtLastMember(text, 'detail')).toEqual({ before: ' { "version":"0", "resources":["a}", {"b":"]"}], "detail" :\t', value: '{"k":"v \\" }"}' });
    // Not last: the value part holds more than one value, which JSON.parse refuses.
    const notLast = splitAtLastMember('{"detail":{"a":1},"x":2}', 'detail');
    expect(() => JSON.parse(notLast!.value)).toThrow();
    expect(splitAtLastMember('{"detail":{"a":1},"detail":{"b":2}}', 'detail')?.value).toBe('{"a":1},"detail":{"b":2}');
  });

  it('finds no plain key in escaped names, arrays, or broken text', () => {
    expect(splitAtLastMember('{"de\\u0074ail":{"a":1}}', 'detail')).toBeNull();
    expect(splitAtLastMember('[{"detail":1}]', 'detail')).toBeNull();
    expect(splitAtLastMember('{"x":"unterminated, "detail":1}', 'detail')).toBeNull();
    expect(splitAtLastMember('{"x":1 "detail":1}', 'detail')).toBeNull();
    expect(splitAtLastMember('{"details":1}', 'detail')).toBeNull();
  });
});

describe('nestsDeeperThan', () => {
  /** `depth` levels when each `open` opens one. */
  const nested = (depth: number, open = '{"a":', close = '}') => `${open.repeat(depth)}1${close.repeat(depth)}`;

  it('measures objects and arrays alike, and ignores brackets inside strings', () => {
    expect(nestsDeeperThan(nested(64), 64)).toBe(false);
    expect(nestsDeeperThan(nested(65), 64)).toBe(true);
    expect(nestsDeeperThan(nested(65, '[', ']'), 64)).toBe(true);
    expect(nestsDeeperThan(nested(32, '[{"x":', '}]'), 64)).toBe(false);
    expect(nestsDeeperThan(nested(33, '[{"x":', '}]'), 64)).toBe(true);
    // Many brackets, few levels: wide, not deep.
    const wide = JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ i, t: [i] })));
    expect(nestsDeeperThan(wide, 3)).toBe(false);
    expect(nestsDeeperThan(wide, 2)).toBe(true);
    const inStrings = JSON.stringify({ s: '{'.repeat(100), t: '[[[[\\"{{{' });
    expect(nestsDeeperThan(inStrings, 1)).toBe(false);
  });

  it('walks 200,000 levels without recursion', () => {
    expect(nestsDeeperThan(nested(200_000, '[', ']'), 64)).toBe(true);
  });

  it('finds every real LogEvent sample shallow (6 levels at most, 9 in an Event Hook payload)', () => {
    for (const name of listLogEventSamples()) expect(nestsDeeperThan(JSON.stringify(readSample(`logevents/${name}`)), 9), name).toBe(false);
  });
});

describe('unicodeEscapeProblem', () => {
  it.each([
    ['a lone high surrogate', '"\\ud800"', 'surrogate'],
    ['a lone high surrogate in capitals', '{"k":"x\\uD83Dy"}', 'surrogate'],
    ['a lone low surrogate', '"\\udc00"', 'surrogate'],
    ['a high surrogate at the end of a string', '["x\\ud83d"]', 'surrogate'],
    ['two high surrogates', '"\\ud83d\\ud83d"', 'surrogate'],
    ['a pair the wrong way round', '"\\ude00\\ud83d"', 'surrogate'],
    ['a high surrogate before a plain escape', '"\\ud83d\\u0041"', 'surrogate'],
    ['a lone surrogate in a key', '{"\\udfff":1}', 'surrogate'],
    ['a NUL', '"a\\u0000b"', 'nul'],
    ['a NUL after an escaped backslash', '"\\\\\\u0000"', 'nul'],
  ])('finds %s', (_label, text, problem) => {
    // JavaScript takes each of these; PostgreSQL's json parser does not.
    expect(() => JSON.parse(text)).not.toThrow();
    expect(unicodeEscapeProblem(text)).toBe(problem);
  });

  it.each([
    ['a surrogate pair', '"\\ud83d\\ude00"'],
    ['a pair in capitals', '"\\uD83D\\uDE00"'],
    ['two pairs in a row', '"\\ud83d\\ude00\\ud83d\\ude01"'],
    ['other escapes', '"\\u00e9\\u2028\\n\\t"'],
    ['an escaped backslash before ud800', '"\\\\ud800"'],
    ['an escaped backslash before u0000', '"\\\\u0000"'],
    ['plain text', '{"a":"b"}'],
  ])('accepts %s', (_label, text) => {
    expect(JSON.parse(text)).toBeDefined();
    expect(unicodeEscapeProblem(text)).toBeNull();
  });
});
