import { describe, expect, it } from 'vitest';
import { jsonMemberText, splitAtLastMember } from './json-text.js';
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
