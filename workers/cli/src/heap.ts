import { setFlagsFromString } from 'node:v8';

// Ingesting and exporting allocate many short-lived objects (one parsed event or row each); with
// V8's default 16 MB young generation a third of the CPU went to scavenges. A larger one keeps
// most of them from being copied. Set before the heavy modules load and allocate.
setFlagsFromString('--max-semi-space-size=64');

export {};
