import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig: event limits', () => {
  it('leaves unset limits to the decoder defaults and reads set ones', () => {
    expect(loadConfig({}).eventLimits).toEqual({});
    expect(loadConfig({ IDGRAPH_MAX_EVENT_BYTES: '1048576', IDGRAPH_MAX_EVENT_DEPTH: '32' }).eventLimits).toEqual({ maxEventBytes: 1048576, maxDepth: 32 });
    expect(loadConfig({ IDGRAPH_MAX_EVENT_DEPTH: '' }).eventLimits).toEqual({});
  });

  it.each([
    ['IDGRAPH_MAX_EVENT_BYTES', '256k', 'an integer between 1024 and 1073741824'],
    ['IDGRAPH_MAX_EVENT_BYTES', '100', 'an integer between 1024 and 1073741824'],
    ['IDGRAPH_MAX_EVENT_DEPTH', '0', 'an integer between 4 and 1000'],
    // Deeper than PostgreSQL can be relied on to read back as jsonb.
    ['IDGRAPH_MAX_EVENT_DEPTH', '200000', 'an integer between 4 and 1000'],
  ])('refuses %s=%s, naming what to give', (name, value, expected) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(`${name} is invalid (${JSON.stringify(value)}): expected ${expected}`);
  });
});
