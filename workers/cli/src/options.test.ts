import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { intOption, numberOption } from './options.js';

describe('option parsers', () => {
  it('intOption takes plain whole numbers in range and names the option and the range otherwise', () => {
    const limit = intOption('--limit', 1, 1000);
    expect(limit('10')).toBe(10);
    for (const bad of ['0', '1e23', '1e3', '2.5', 'abc', '', '0x10', '1001']) {
      expect(() => limit(bad)).toThrow(InvalidArgumentError);
      expect(() => limit(bad)).toThrow(`--limit expects a whole number between 1 and 1000, got "${bad}".`);
    }
    expect(() => intOption('--seed', 0)('-1')).toThrow('--seed expects a whole number of at least 0, got "-1".');
  });

  it('numberOption takes plain decimals in range and refuses words, exponents and infinities', () => {
    const factor = numberOption('--rate-limit-factor', { above: 0, max: 1_000_000, example: '0.5 or 20' });
    expect(factor('0.5')).toBe(0.5);
    expect(factor('20')).toBe(20);
    expect(factor('.25')).toBe(0.25);
    for (const bad of ['abc', '0', '-1', 'Infinity', '1e3', '', 'NaN', '2000000']) {
      expect(() => factor(bad)).toThrow(`--rate-limit-factor expects a number greater than 0 and at most 1000000 (e.g. 0.5 or 20), got "${bad}".`);
    }
  });
});
