import { ConfigError, env } from '@idgraph/core';

/** What the stream worker reads from the environment, validated at start-up. */
export interface StreamWorkerConfig {
  /** SQS_QUEUE_URL: the queue the EventBridge rule targets. */
  queueUrl: string;
  /** SQS_DLQ_URL: where rejected messages go (the queue's redrive DLQ). */
  deadLetterQueueUrl: string;
  /** SQS_ENDPOINT: an SQS-compatible server (fauxqs, localstack, elasticmq); absent = AWS. */
  endpoint: string | undefined;
  /** AWS_REGION; defaults to the region in an AWS queue URL, else us-east-1 with a custom endpoint. */
  region: string;
  pollers: number;
  waitTimeSeconds: number;
  batchSize: number;
  visibilityTimeoutSeconds: number;
  /** STREAM_BATCH_TIMEOUT_SECONDS: a batch not settled by then is released and the worker reported stalled. */
  batchTimeoutSeconds?: number | undefined;
}

type Env = Record<string, string | undefined>;

export function readStreamWorkerConfig(e: Env = process.env): StreamWorkerConfig {
  const queueUrl = requiredUrl(e, 'SQS_QUEUE_URL', 'the SQS queue URL, e.g. https://sqs.us-east-1.amazonaws.com/123456789012/idgraph-okta');
  const deadLetterQueueUrl = requiredUrl(e, 'SQS_DLQ_URL', 'the dead-letter queue URL, e.g. https://sqs.us-east-1.amazonaws.com/123456789012/idgraph-okta-dlq');
  const endpoint = env.url(e, 'SQS_ENDPOINT', { protocols: ['http:', 'https:'] });
  const region = env.optionalString(e, 'AWS_REGION') ?? regionOfQueueUrl(queueUrl) ?? (endpoint ? 'us-east-1' : undefined);
  if (!region) throw new ConfigError('AWS_REGION', 'an AWS region such as us-east-1 (not derivable from SQS_QUEUE_URL)', undefined);
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new ConfigError('AWS_REGION', 'an AWS region such as us-east-1', region);
  return {
    queueUrl,
    deadLetterQueueUrl,
    endpoint,
    region,
    pollers: env.int(e, 'STREAM_POLLERS', { default: 4, min: 1, max: 64 }),
    waitTimeSeconds: env.int(e, 'STREAM_WAIT_SECONDS', { default: 20, min: 0, max: 20 }),
    batchSize: env.int(e, 'STREAM_BATCH_SIZE', { default: 10, min: 1, max: 10 }),
    visibilityTimeoutSeconds: env.int(e, 'STREAM_VISIBILITY_TIMEOUT_SECONDS', { default: 30, min: 1, max: 43_200 }),
    batchTimeoutSeconds: e['STREAM_BATCH_TIMEOUT_SECONDS'] === undefined ? undefined : env.int(e, 'STREAM_BATCH_TIMEOUT_SECONDS', { default: 120, min: 1, max: 86_400 }),
  };
}

function requiredUrl(e: Env, name: string, expected: string): string {
  const value = env.url(e, name, { protocols: ['http:', 'https:'] });
  if (value === undefined) throw new ConfigError(name, expected, undefined);
  return value;
}

/** `https://sqs.eu-west-1.amazonaws.com/…` → eu-west-1. */
function regionOfQueueUrl(url: string): string | undefined {
  return /^sqs\.([a-z0-9-]+)\.amazonaws\.com$/.exec(new URL(url).hostname)?.[1];
}
