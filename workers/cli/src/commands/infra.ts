import type { Command } from 'commander';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { applyEventBridgeSetup, formatPlan, InfraInputError, planEventBridgeSetup, teardownEventBridge } from '@idgraph/infra';
import { UsageError } from '../errors.js';
import { out, table } from '../output.js';

interface InfraOptions {
  region: string;
  eventSource: string;
  queueName?: string;
  accountId?: string;
  dryRun: boolean;
  json: boolean;
  eventbridgeEndpoint?: string;
  sqsEndpoint?: string;
}

function clients(opts: InfraOptions) {
  return {
    eventBridge: new EventBridgeClient({ region: opts.region, endpoint: opts.eventbridgeEndpoint }),
    sqs: new SQSClient({ region: opts.region, endpoint: opts.sqsEndpoint }),
  };
}

function withInputErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InfraInputError) throw new UsageError(err.message);
    throw err;
  }
}

export function registerInfra(program: Command): void {
  const infra = program.command('infra').description('Provision cloud resources for idgraph.');
  const eventbridge = infra
    .command('eventbridge')
    .description('Okta Log Streaming → EventBridge partner event bus → rule → SQS queue (+ dead-letter queue). Uses the standard AWS credential chain.');

  const common = (cmd: Command) =>
    cmd
      .requiredOption('--region <region>', 'AWS region of the Okta log stream, e.g. us-east-1')
      .requiredOption('--event-source <source>', 'the partner event source: aws.partner/okta.com/ORG/STREAM')
      .option('--queue-name <name>', 'SQS queue name (default: idgraph-ORG-STREAM)')
      .option('--eventbridge-endpoint <url>', 'EventBridge endpoint override (testing)')
      .option('--sqs-endpoint <url>', 'SQS endpoint override (e.g. a local SQS-compatible server)')
      .option('--json', 'print JSON', false);

  common(eventbridge.command('setup'))
    .description('Create (idempotently) the event bus, rule, queue, dead-letter queue, queue policy and target.')
    .option('--account-id <id>', 'AWS account id (default: read from the event bus ARN)')
    .option('--dry-run', 'print the plan (every call with its input) and change nothing', false)
    .action(async (opts: InfraOptions) => {
      const plan = withInputErrors(() =>
        planEventBridgeSetup({ region: opts.region, eventSource: opts.eventSource, queueName: opts.queueName, accountId: opts.accountId }),
      );
      if (opts.dryRun) {
        if (opts.json) out.json(plan);
        else out.line(formatPlan(plan));
        return;
      }
      const result = await applyEventBridgeSetup(clients(opts), plan);
      if (opts.json) return out.json(result);
      out.line(table(['resource', 'outcome'], result.steps.map((s) => [s.resource, s.outcome])));
      out.line(`\nqueue:             ${result.queueUrl}\ndead-letter queue: ${result.deadLetterQueueUrl}`);
      out.line(`Run the consumer with SQS_QUEUE_URL=${result.queueUrl} SQS_DLQ_URL=${result.deadLetterQueueUrl} idgraph workers --stream`);
    });

  common(eventbridge.command('teardown'))
    .description('Remove what setup created (target, rule, event bus, both queues).')
    .action(async (opts: InfraOptions) => {
      withInputErrors(() => planEventBridgeSetup({ region: opts.region, eventSource: opts.eventSource, queueName: opts.queueName }));
      const report = await teardownEventBridge(clients(opts), { region: opts.region, eventSource: opts.eventSource, queueName: opts.queueName });
      if (opts.json) return out.json(report);
      out.line(table(['resource', 'outcome'], report.map((r) => [r.resource, r.outcome])));
    });
}
