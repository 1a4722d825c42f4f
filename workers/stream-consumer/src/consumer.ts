import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { backoffDelayMs, createLogger, describeError, retry, sleep, type Logger } from '@idgraph/core';
import { InMemoryStreamMetrics, type StreamCounter, type StreamMetrics } from './metrics.js';

/** Message attribute that carries, on a dead-lettered message, why it was rejected. */
export const REJECT_REASON_ATTRIBUTE = 'idgraph-reject-reason';
/** Message attribute that carries, on a dead-lettered message, the id it had on the main queue. */
export const ORIGINAL_MESSAGE_ID_ATTRIBUTE = 'idgraph-original-message-id';

/** What the consumer knows about a message besides its body (for routing, latency, logs). */
export interface ReceivedMessageInfo {
  messageId: string;
  /** SQS SentTimestamp (ms since epoch): when the message was enqueued. */
  sentTimestamp: number | null;
  approximateReceiveCount: number | null;
}

export type Classification<T> =
  | { ok: true; key: string; value: T }
  | {
      ok: false;
      reason: string;
      /** Safe identifiers for the log line (e.g. uuid, eventType) — never the body itself. */
      logContext?: Record<string, string | number | null>;
      /** A counter that names this kind of rejection, incremented besides `dlq` once the message is dead-lettered. */
      counter?: Extract<StreamCounter, 'futureEvents'>;
    };

export interface StreamConsumerOptions<T> {
  sqs: SQSClient;
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** Long-poll loops running in parallel. Default 4. */
  pollers?: number;
  /** Long-poll wait per ReceiveMessage, 0–20. Default 20. */
  waitTimeSeconds?: number;
  /** Messages per ReceiveMessage, 1–10. Default 10. */
  batchSize?: number;
  /** Visibility timeout asked for on receive; extended with ChangeMessageVisibilityBatch while a batch is in hand. Default 30. */
  visibilityTimeoutSeconds?: number;
  /**
   * Route and validate one message. `{ok:false}` sends it to the dead-letter queue with the reason.
   * Throwing means "cannot decide now" (e.g. the database is down): the whole batch is retried later.
   */
  classify(body: string, message: ReceivedMessageInfo): Classification<T> | Promise<Classification<T>>;
  /** Apply a batch of good messages in ONE transaction. Throwing = nothing deleted; redelivered after the visibility timeout. */
  handleBatch(items: T[]): Promise<void>;
  logger?: Logger;
  metrics?: StreamMetrics;
  /** Ceiling of the exponential backoff after a failed batch or receive. Default 10 s. */
  maxBackoffMs?: number;
  /** Batches one poller may have in hand at once (receiving the next while the last is applied). Default 2. */
  batchesInFlightPerPoller?: number;
  /**
   * How long classify + handleBatch may take for one batch. A batch that has not settled by then is
   * released (visibility no longer extended, nothing deleted: it comes back) and counted as a
   * handler error, so a hung database driver cannot hold messages forever. Default
   * max(60 s, 4 × the visibility timeout).
   */
  batchTimeoutMs?: number;
  /**
   * Called when a batch timed out. Its work may still be hanging on a connection that will never
   * answer; a worker process should exit and let its supervisor restart it with fresh connections.
   */
  onStalled?: (info: { poller: number; messages: number; timeoutMs: number }) => void;
  /**
   * Resolves when what batches need (the database) answers; rejects otherwise. After a failed
   * batch a poller receives again only once this passes: every receive during an outage raises
   * the messages' receive count towards the queue's redrive limit, so a long outage would
   * otherwise push good messages to the dead-letter queue.
   */
  readiness?: () => Promise<void>;
}

interface Accepted<T> {
  message: Message;
  key: string;
  value: T;
}

interface Rejected {
  message: Message;
  reason: string;
  logContext: Record<string, string | number | null>;
  counter?: Extract<StreamCounter, 'futureEvents'>;
}

const DELETE_ATTEMPTS = 3;
const MAX_REASON_LENGTH = 256;

/**
 * Long-polls an SQS queue with several pollers and hands each received batch to `handleBatch`.
 * At-least-once: a message is deleted only after its batch committed, bad messages are moved to
 * the dead-letter queue (with the reason) before they are deleted, and a failed batch is left on
 * the queue to come back after the visibility timeout. Idempotent handlers make that exactly-once
 * in effect.
 */
export class StreamConsumer<T> {
  readonly metrics: StreamMetrics;
  private readonly logger: Logger;
  private readonly pollers: number;
  private readonly waitTimeSeconds: number;
  private readonly batchSize: number;
  private readonly visibilityTimeoutSeconds: number;
  private readonly maxBackoffMs: number;
  private readonly batchTimeoutMs: number;
  private readonly batchesInFlightPerPoller: number;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] | null = null;

  constructor(private readonly options: StreamConsumerOptions<T>) {
    this.pollers = requireInt('pollers', options.pollers ?? 4, 1, 64);
    this.waitTimeSeconds = requireInt('waitTimeSeconds', options.waitTimeSeconds ?? 20, 0, 20);
    this.batchSize = requireInt('batchSize', options.batchSize ?? 10, 1, 10);
    this.visibilityTimeoutSeconds = requireInt('visibilityTimeoutSeconds', options.visibilityTimeoutSeconds ?? 30, 1, 43_200);
    this.maxBackoffMs = requireInt('maxBackoffMs', options.maxBackoffMs ?? 10_000, 1, 3_600_000);
    this.batchesInFlightPerPoller = requireInt('batchesInFlightPerPoller', options.batchesInFlightPerPoller ?? 2, 1, 16);
    this.batchTimeoutMs = requireInt(
      'batchTimeoutMs',
      options.batchTimeoutMs ?? Math.max(60_000, 4_000 * this.visibilityTimeoutSeconds),
      1,
      86_400_000,
    );
    if (!options.queueUrl) throw new Error('StreamConsumer: queueUrl is required (the SQS queue URL to consume)');
    if (!options.deadLetterQueueUrl) {
      throw new Error('StreamConsumer: deadLetterQueueUrl is required (where rejected messages are moved)');
    }
    this.logger = options.logger ?? createLogger({ name: 'stream-consumer' });
    this.metrics = options.metrics ?? new InMemoryStreamMetrics();
  }

  /** Starts the pollers. Call once. */
  start(): void {
    if (this.loops) throw new Error('StreamConsumer.start() called twice');
    if (this.abort.signal.aborted) throw new Error('StreamConsumer cannot be restarted after stop(); create a new one');
    this.loops = Array.from({ length: this.pollers }, (_, i) => this.pollLoop(i));
    this.logger.info(
      { queueUrl: this.options.queueUrl, pollers: this.pollers, batchSize: this.batchSize, waitTimeSeconds: this.waitTimeSeconds },
      'stream consumer started',
    );
  }

  /** Stops receiving, lets every batch in hand finish (commit + delete), then resolves. */
  async stop(): Promise<void> {
    this.abort.abort();
    if (this.loops) await Promise.all(this.loops);
    this.logger.info('stream consumer stopped');
  }

  private get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  /**
   * Receives while earlier batches are still being applied (up to `batchesInFlightPerPoller`), so
   * the SQS round trips of the next batch overlap the database transaction of the current one.
   */
  private async pollLoop(poller: number): Promise<void> {
    const backoff = new ConsecutiveFailures(this.maxBackoffMs);
    const inFlight = new Set<Promise<void>>();
    let failed = false;
    while (!this.stopping) {
      if (inFlight.size >= this.batchesInFlightPerPoller) await Promise.race(inFlight);
      if (failed) {
        failed = false;
        await this.waitUntilReady(poller, backoff);
        continue;
      }
      let messages: Message[];
      try {
        messages = await this.receive();
      } catch (err) {
        if (this.stopping) break;
        const delay = backoff.next();
        this.logger.warn({ poller, err: errorSummary(err), retryInMs: delay }, 'receive from SQS failed');
        await this.pause(delay);
        continue;
      }
      if (messages.length === 0) continue;
      // A batch in hand is always finished, even when stop() was called meanwhile.
      const batch: Promise<void> = this.processBatch(messages, poller).then((ok) => {
        if (ok) backoff.reset();
        else failed = true;
        inFlight.delete(batch);
      });
      inFlight.add(batch);
    }
    await Promise.all(inFlight);
  }

  /** Backs off after a failed batch, and keeps backing off (without receiving) until `readiness` passes. */
  private async waitUntilReady(poller: number, backoff: ConsecutiveFailures): Promise<void> {
    for (;;) {
      const delay = backoff.next();
      this.logger.warn({ poller, retryInMs: delay, consecutiveFailures: backoff.count }, 'backing off after a failed batch');
      await this.pause(delay);
      if (this.stopping || !this.options.readiness) return;
      try {
        await withTimeout(this.options.readiness(), READINESS_TIMEOUT_MS);
        return;
      } catch (err) {
        this.logger.warn({ poller, err: errorSummary(err) }, 'store not ready; not receiving until it is');
      }
    }
  }

  private async receive(): Promise<Message[]> {
    const out = await this.options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: this.batchSize,
        WaitTimeSeconds: this.waitTimeSeconds,
        VisibilityTimeout: this.visibilityTimeoutSeconds,
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      }),
      { abortSignal: this.abort.signal },
    );
    return out.Messages ?? [];
  }

  /** Returns false when the batch failed and must be retried later (nothing of its good messages deleted). */
  private async processBatch(messages: Message[], poller: number): Promise<boolean> {
    this.metrics.increment('received', messages.length);
    this.recordLag(messages);
    const stopExtending = this.keepInvisible(messages);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.batchTimeoutMs);
    });
    try {
      const outcome = await Promise.race([this.applyBatch(messages, poller), timedOut]);
      if (outcome !== 'timeout') return outcome;
      this.metrics.increment('handlerErrors', 1);
      this.logger.error(
        { poller, messages: messages.length, timeoutMs: this.batchTimeoutMs },
        'batch did not settle in time; releasing its messages (they come back after the visibility timeout)',
      );
      this.options.onStalled?.({ poller, messages: messages.length, timeoutMs: this.batchTimeoutMs });
      return false;
    } finally {
      clearTimeout(timer);
      stopExtending();
    }
  }

  private async applyBatch(messages: Message[], poller: number): Promise<boolean> {
    const split = await this.classifyAll(messages, poller);
    if (!split) return false;
    const { accepted, rejected } = split;
    if (rejected.length > 0) await this.deadLetter(rejected);
    if (accepted.length === 0) return true;
    try {
      await this.options.handleBatch(accepted.map((a) => a.value));
    } catch (err) {
      this.metrics.increment('handlerErrors', 1);
      this.logger.error(
        { poller, messages: accepted.length, err: errorSummary(err) },
        'batch handler failed; messages stay on the queue and come back after the visibility timeout',
      );
      return false;
    }
    this.metrics.increment('applied', accepted.length);
    this.logger.debug({ poller, applied: accepted.length, keys: countByKey(accepted) }, 'batch applied');
    await this.deleteFromQueue(accepted.map((a) => a.message));
    return true;
  }

  private async classifyAll(
    messages: Message[],
    poller: number,
  ): Promise<{ accepted: Accepted<T>[]; rejected: Rejected[] } | null> {
    const accepted: Accepted<T>[] = [];
    const rejected: Rejected[] = [];
    for (const message of messages) {
      let result: Classification<T>;
      try {
        result = await this.options.classify(message.Body ?? '', messageInfo(message));
      } catch (err) {
        // Not the message's fault (e.g. the integration lookup hit a database outage): retry all later.
        this.metrics.increment('handlerErrors', 1);
        this.logger.error({ poller, messageId: message.MessageId, err: errorSummary(err) }, 'classifying a message failed');
        return null;
      }
      if (result.ok) accepted.push({ message, key: result.key, value: result.value });
      else rejected.push({ message, reason: result.reason.slice(0, MAX_REASON_LENGTH), logContext: result.logContext ?? {}, ...(result.counter ? { counter: result.counter } : {}) });
    }
    return { accepted, rejected };
  }

  /** Sends rejected messages, unchanged, to the DLQ with the reason; deletes from the main queue those the DLQ took. */
  private async deadLetter(rejected: Rejected[]): Promise<void> {
    let failedIds = new Set<string>();
    try {
      const out = await this.options.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.options.deadLetterQueueUrl,
          Entries: rejected.map((r, i) => ({
            Id: String(i),
            MessageBody: r.message.Body ?? '',
            MessageAttributes: {
              [REJECT_REASON_ATTRIBUTE]: { DataType: 'String', StringValue: r.reason },
              [ORIGINAL_MESSAGE_ID_ATTRIBUTE]: { DataType: 'String', StringValue: r.message.MessageId ?? 'unknown' },
            },
          })),
        }),
      );
      failedIds = new Set((out.Failed ?? []).map((f) => f.Id ?? ''));
      for (const f of out.Failed ?? []) {
        this.logger.error({ code: f.Code, error: f.Message }, 'dead-letter queue refused a message; it stays on the main queue');
      }
    } catch (err) {
      // Left on the main queue: it comes back, and the queue's redrive policy moves it eventually.
      this.logger.error({ messages: rejected.length, err: errorSummary(err) }, 'sending rejected messages to the dead-letter queue failed');
      return;
    }
    const moved = rejected.filter((_, i) => !failedIds.has(String(i)));
    for (const r of moved) {
      this.logger.warn({ messageId: r.message.MessageId, reason: r.reason, ...r.logContext }, 'message rejected to the dead-letter queue');
    }
    this.metrics.increment('dlq', moved.length);
    for (const r of moved) if (r.counter) this.metrics.increment(r.counter, 1);
    await this.deleteFromQueue(moved.map((r) => r.message));
  }

  /** DeleteMessageBatch, retrying entries that failed for a server-side reason; counts what stays in `deleteFailures`. */
  private async deleteFromQueue(messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    let pending = messages;
    try {
      // No signal: the messages of a batch in hand are deleted even while stopping.
      await retry(
        async (attempt) => {
          try {
            const out = await this.options.sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: this.options.queueUrl,
                Entries: pending.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
              }),
            );
            const again: Message[] = [];
            for (const f of out.Failed ?? []) {
              const message = pending[Number(f.Id)];
              if (!message) continue;
              if (f.SenderFault) {
                // e.g. an expired receipt handle: retrying cannot help. The message comes back and is ingested idempotently.
                this.logger.warn({ messageId: message.MessageId, code: f.Code }, 'message could not be deleted; it will be redelivered');
              } else {
                again.push(message);
              }
            }
            const senderFaults = (out.Failed ?? []).length - again.length;
            if (senderFaults > 0) this.metrics.increment('deleteFailures', senderFaults);
            pending = again;
          } catch (err) {
            this.logger.warn({ attempt, messages: pending.length, err: errorSummary(err) }, 'DeleteMessageBatch failed');
            throw err;
          }
          if (pending.length > 0) throw new Error(`${pending.length} messages not deleted yet`);
        },
        { attempts: DELETE_ATTEMPTS, baseMs: 200, jitter: 'equal' },
      );
    } catch {
      // What is still pending is reported below.
    }
    for (const m of pending) {
      this.logger.warn({ messageId: m.MessageId }, 'message not deleted after retries; it will be redelivered');
    }
    if (pending.length > 0) this.metrics.increment('deleteFailures', pending.length);
  }

  /** Waits `ms`, or less when the consumer stops (the loops look at `stopping` after it). */
  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, this.abort.signal);
    } catch (err) {
      if (!this.stopping) throw err;
    }
  }

  /** Extends the batch's visibility at half the timeout until the returned function is called. */
  private keepInvisible(messages: Message[]): () => void {
    const everyMs = Math.max(500, (this.visibilityTimeoutSeconds * 1000) / 2);
    const timer = setInterval(() => void this.extendVisibility(messages), everyMs);
    return () => clearInterval(timer);
  }

  private async extendVisibility(messages: Message[]): Promise<void> {
    try {
      const out = await this.options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: messages.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle ?? '',
            VisibilityTimeout: this.visibilityTimeoutSeconds,
          })),
        }),
      );
      if ((out.Failed ?? []).length > 0) {
        this.logger.warn({ failed: out.Failed?.length }, 'could not extend the visibility of some messages; they may be delivered twice');
      }
    } catch (err) {
      this.logger.warn({ err: errorSummary(err) }, 'ChangeMessageVisibilityBatch failed; messages may be delivered twice');
    }
  }

  private recordLag(messages: Message[]): void {
    let oldest = Infinity;
    for (const m of messages) {
      const sent = messageInfo(m).sentTimestamp;
      if (sent !== null && sent < oldest) oldest = sent;
    }
    if (Number.isFinite(oldest)) this.metrics.setLag(Math.max(0, Date.now() - oldest));
  }
}

function messageInfo(m: Message): ReceivedMessageInfo {
  const sent = Number(m.Attributes?.SentTimestamp);
  const count = Number(m.Attributes?.ApproximateReceiveCount);
  return {
    messageId: m.MessageId ?? '',
    sentTimestamp: Number.isFinite(sent) && sent > 0 ? sent : null,
    approximateReceiveCount: Number.isFinite(count) && count > 0 ? count : null,
  };
}

function countByKey(items: { key: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { key } of items) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

/** Name and scrubbed message only: SDK and driver errors carry request metadata and connection details. */
function errorSummary(err: unknown): { name: string; message: string } {
  // describeError: a database error without the query and the event rows it carried; no credentials.
  if (err instanceof Error) return { name: err.name, message: describeError(err) };
  return { name: 'non-error', message: describeError(err) };
}

function requireInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`StreamConsumer: ${name} must be an integer between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** A readiness probe that does not answer in this time counts as not ready (a hung connection). */
const READINESS_TIMEOUT_MS = 5_000;

function withTimeout<V>(promise: Promise<V>, ms: number): Promise<V> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Exponential backoff with equal jitter for a poller whose batch or receive failed (database down,
 * SQS unreachable): each consecutive failure doubles the ceiling up to `maxMs`; a success resets it.
 * Half fixed, half jitter: never zero, and pollers that failed together spread out.
 */
class ConsecutiveFailures {
  count = 0;

  constructor(private readonly maxMs: number) {}

  /** The delay to wait after one more failure. */
  next(): number {
    this.count += 1;
    return backoffDelayMs(this.count - 1, { baseMs: 200, capMs: this.maxMs, jitter: 'equal' });
  }

  reset(): void {
    this.count = 0;
  }
}
