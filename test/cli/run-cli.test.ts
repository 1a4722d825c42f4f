import { describe, expect, it } from 'vitest';
import { runtimeWarning } from './run-cli.js';

describe('runtimeWarning (every runCli call fails on one)', () => {
  it("finds Node's runtime warnings among log lines", () => {
    const deprecation = '(node:4242) [DEP0040] DeprecationWarning: The `punycode` module is deprecated.';
    expect(runtimeWarning(`{"level":30,"msg":"scan done"}\n${deprecation}\n(Use \`node --trace-deprecation ...\`)`)).toBe(deprecation);
    expect(runtimeWarning('(node:1) ExperimentalWarning: CommonJS module loading is experimental')).toMatch(/ExperimentalWarning/);
    expect(runtimeWarning('{"level":40,"msg":"okta request failed; retrying"}\nWarning: not a node line')).toBeNull();
  });

  it("lets the AWS SDK's Node-version notice through only on a Node that is no longer supported", () => {
    const aws = '(node:16839) Warning: NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)';
    const major = Number(process.versions.node.split('.')[0]);
    expect(runtimeWarning(aws)).toBe(major < 22 ? null : aws);
  });
});
