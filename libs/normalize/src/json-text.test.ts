import { describe, expect, it } from 'vitest';
import { jsonMemberText } from './json-text.js';
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
