import { ConfigError } from '@idgraph/core';
import { describe, expect, it } from 'vitest';
import { readStreamWorkerConfig } from './config.js';

const AWS_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/idgraph-okta';
const AWS_DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/idgraph-okta-dlq';

describe('readStreamWorkerConfig', () => {
  it('reads defaults and derives the region from an AWS queue URL', () => {
    expect(readStreamWorkerConfig({ SQS_QUEUE_URL: AWS_QUEUE, SQS_DLQ_URL: AWS_DLQ })).toEqual({
      queueUrl: AWS_QUEUE,
      deadLetterQueueUrl: AWS_DLQ,
      endpoint: undefined,
      region: 'eu-west-1',
      pollers: 4,
      waitTimeSeconds: 20,
      batchSize: 10,
      visibilityTimeoutSeconds: 30,
    });
  });

  it('accepts a local endpoint and explicit tuning', () => {
    const c = readStreamWorkerConfig({
      SQS_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/q',
      SQS_DLQ_URL: 'http://127.0.0.1:4566/000000000000/q-dlq',
      SQS_ENDPOINT: 'http://127.0.0.1:4566',
      STREAM_POLLERS: '8',
      STREAM_BATCH_SIZE: '5',
      STREAM_WAIT_SECONDS: '0',
      STREAM_VISIBILITY_TIMEOUT_SECONDS: '120',
    });
    expect(c).toMatchObject({ endpoint: 'http://127.0.0.1:4566', region: 'us-east-1', pollers: 8, batchSize: 5, waitTimeSeconds: 0, visibilityTimeoutSeconds: 120 });
  });

  it('names the variable and what it expects when something is wrong', () => {
    expect(() => readStreamWorkerConfig({ SQS_DLQ_URL: AWS_DLQ })).toThrow(/SQS_QUEUE_URL is not set: expected the SQS queue URL/);
    expect(() => readStreamWorkerConfig({ SQS_QUEUE_URL: AWS_QUEUE })).toThrow(/SQS_DLQ_URL is not set/);
    expect(() => readStreamWorkerConfig({ SQS_QUEUE_URL: AWS_QUEUE, SQS_DLQ_URL: AWS_DLQ, STREAM_BATCH_SIZE: '50' })).toThrow(
      /STREAM_BATCH_SIZE is invalid \("50"\): expected an integer between 1 and 10/,
    );
    expect(() => readStreamWorkerConfig({ SQS_QUEUE_URL: 'ftp://x/q', SQS_DLQ_URL: AWS_DLQ })).toThrow(ConfigError);
    expect(() =>
      readStreamWorkerConfig({ SQS_QUEUE_URL: 'http://mq.internal/q', SQS_DLQ_URL: 'http://mq.internal/d' }),
    ).toThrow(/AWS_REGION is not set/);
    expect(() => readStreamWorkerConfig({ SQS_QUEUE_URL: AWS_QUEUE, SQS_DLQ_URL: AWS_DLQ, AWS_REGION: 'mars' })).toThrow(/AWS_REGION is invalid/);
  });
});
