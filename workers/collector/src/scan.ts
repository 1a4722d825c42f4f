/**
 * The one-shot inline path behind `idgraph scan`: the same collectors, in this process, no Redis
 * (the caller's client uses a memory rate governor), one full run, the same summary.
 */
import type { Logger } from '@idgraph/core';
import type { EventLimits } from '@idgraph/normalize';
import type { IntegrationRef } from './context.js';
import type { CollectorClient } from './ports.js';
import { RequestMeter } from './progress.js';
import { runCollection, type RunCollectionOptions, type RunProgress, type RunSummary } from './run.js';
import type { WorkerStore } from './jobs.js';

export interface ScanOptions {
  store: Pick<WorkerStore, keyof WorkerStore>;
  integration: IntegrationRef;
  /** Build the client with `onRequest: meter.onRequest` to get retries and 429 waits per resource. */
  makeClient: (hooks: { onRequest: RequestMeter['onRequest'] }) => CollectorClient | Promise<CollectorClient>;
  resources?: readonly string[];
  /** Resume this (interrupted) run from its checkpoints instead of starting a new one. */
  runId?: string;
  logger: Logger;
  signal?: AbortSignal;
  onProgress?: (update: RunProgress) => void;
  concurrency?: number;
  /** Size and depth limits of one System Log event (IdgraphConfig.eventLimits). */
  eventLimits?: Partial<EventLimits>;
  /** Runs the admin posture checks once their inputs are collected (see admin-first.ts). */
  onAdminPostureFinal?: RunCollectionOptions['onAdminPostureFinal'];
}

export async function scanIntegration(opts: ScanOptions): Promise<RunSummary> {
  const meter = new RequestMeter();
  const client = await opts.makeClient({ onRequest: meter.onRequest });
  return runCollection({
    client,
    store: opts.store,
    integration: opts.integration,
    mode: 'full',
    trigger: 'scan',
    logger: opts.logger,
    meter,
    ...(opts.resources ? { resources: opts.resources } : {}),
    ...(opts.runId ? { runId: opts.runId } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.eventLimits ? { eventLimits: opts.eventLimits } : {}),
    ...(opts.onAdminPostureFinal ? { onAdminPostureFinal: opts.onAdminPostureFinal } : {}),
  });
}
