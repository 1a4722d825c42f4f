/**
 * The EventBridge → SQS provisioning for Okta Log Streaming (https://help.okta.com/en-us/content/topics/reports/log-streaming/add-aws-eb-log-stream.htm), as a plan: every
 * AWS call with the exact input it will send, so `--dry-run` shows precisely what `apply` does.
 */
import type { CreateEventBusCommandInput, PutRuleCommandInput, PutTargetsCommandInput } from '@aws-sdk/client-eventbridge';
import type { CreateQueueCommandInput, SetQueueAttributesCommandInput } from '@aws-sdk/client-sqs';

export class InfraInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfraInputError';
  }
}

export interface EventBridgeSetupInput {
  region: string;
  /** `aws.partner/okta.com/<oktaSubdomain>/<eventSourceName>` as shown in the EventBridge console. */
  eventSource: string;
  /** Default derived from the source: `idgraph-<org>-<stream>`. */
  queueName?: string;
  /** 12 digits. Absent: `apply` reads it from the event bus ARN; the plan shows a placeholder. */
  accountId?: string;
  /** Default 30 (the consumer extends it while a batch is in hand). */
  visibilityTimeoutSeconds?: number;
  /** Receives before SQS moves a message to the DLQ. Default 5. */
  maxReceiveCount?: number;
}

export type PlanStep =
  | { action: 'CreateEventBus'; input: CreateEventBusCommandInput }
  | { action: 'PutRule'; input: PutRuleCommandInput }
  | { action: 'CreateQueue'; queue: 'dlq' | 'main'; input: CreateQueueCommandInput }
  | { action: 'SetQueueAttributes'; queue: 'main'; input: SetQueueAttributesCommandInput }
  | { action: 'PutTargets'; input: PutTargetsCommandInput };

export interface EventBridgePlan {
  region: string;
  accountId: string | null;
  eventSource: string;
  eventBusName: string;
  ruleName: string;
  queueName: string;
  deadLetterQueueName: string;
  ruleArn: string;
  queueArn: string;
  deadLetterQueueArn: string;
  queueUrl: string;
  steps: PlanStep[];
  /** What the plan was made from (apply re-plans with the account id when it was absent). */
  input: EventBridgeSetupInput;
}

export const ACCOUNT_PLACEHOLDER = '<account-id>';
export const TARGET_ID = 'idgraph-sqs';
export const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;

const OKTA_SOURCE = /^aws\.partner\/okta\.com\/([A-Za-z0-9][A-Za-z0-9-]*)\/([.\-_A-Za-z0-9]{1,75})$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,76}$/; // 80 minus the "-dlq" suffix

export function planEventBridgeSetup(input: EventBridgeSetupInput): EventBridgePlan {
  const { region, eventSource } = input;
  if (!REGION.test(region)) throw new InfraInputError(`--region ${JSON.stringify(region)} is not an AWS region (e.g. us-east-1)`);
  const source = OKTA_SOURCE.exec(eventSource);
  if (!source) {
    throw new InfraInputError(
      `--event-source ${JSON.stringify(eventSource)} is not an Okta partner event source: expected aws.partner/okta.com/<org>/<stream> as shown in EventBridge → Partner event sources`,
    );
  }
  if (input.accountId !== undefined && !/^\d{12}$/.test(input.accountId)) {
    throw new InfraInputError(`--account-id ${JSON.stringify(input.accountId)} must be the 12-digit AWS account id`);
  }
  const queueName = input.queueName ?? defaultQueueName(source[1]!, source[2]!);
  if (!QUEUE_NAME.test(queueName)) {
    throw new InfraInputError(`--queue-name ${JSON.stringify(queueName)} must be 1–76 letters, digits, "-" or "_" ("-dlq" is appended for the dead-letter queue)`);
  }
  const visibilityTimeoutSeconds = input.visibilityTimeoutSeconds ?? 30;
  const maxReceiveCount = input.maxReceiveCount ?? 5;
  if (!Number.isInteger(visibilityTimeoutSeconds) || visibilityTimeoutSeconds < 1 || visibilityTimeoutSeconds > 43_200) {
    throw new InfraInputError(`visibility timeout must be 1–43200 seconds, got ${visibilityTimeoutSeconds}`);
  }
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
    throw new InfraInputError(`maxReceiveCount must be 1–1000, got ${maxReceiveCount}`);
  }

  const account = input.accountId ?? ACCOUNT_PLACEHOLDER;
  const partition = partitionOf(region);
  const eventBusName = eventSource; // a partner event bus must be named after its source
  const ruleName = `idgraph-to-${queueName}`.slice(0, 64);
  const deadLetterQueueName = `${queueName}-dlq`;
  const ruleArn = `arn:${partition}:events:${region}:${account}:rule/${eventBusName}/${ruleName}`;
  const queueArn = `arn:${partition}:sqs:${region}:${account}:${queueName}`;
  const deadLetterQueueArn = `arn:${partition}:sqs:${region}:${account}:${deadLetterQueueName}`;
  const queueUrl = `https://sqs.${region}.amazonaws.com/${account}/${queueName}`;

  const steps: PlanStep[] = [
    { action: 'CreateEventBus', input: { Name: eventBusName, EventSourceName: eventSource } },
    {
      action: 'PutRule',
      input: {
        Name: ruleName,
        EventBusName: eventBusName,
        EventPattern: eventPattern(eventSource),
        State: 'ENABLED',
        Description: 'idgraph: Okta System Log events to SQS',
      },
    },
    {
      action: 'CreateQueue',
      queue: 'dlq',
      input: { QueueName: deadLetterQueueName, Attributes: { MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS) } },
    },
    {
      action: 'CreateQueue',
      queue: 'main',
      input: { QueueName: queueName, Attributes: mainQueueAttributes(deadLetterQueueArn, maxReceiveCount, visibilityTimeoutSeconds) },
    },
    {
      action: 'SetQueueAttributes',
      queue: 'main',
      input: { QueueUrl: queueUrl, Attributes: { Policy: queuePolicy(queueArn, ruleArn) } },
    },
    {
      action: 'PutTargets',
      // No Input/InputPath: SQS receives the whole envelope, which the consumer routes by `source`.
      input: { Rule: ruleName, EventBusName: eventBusName, Targets: [{ Id: TARGET_ID, Arn: queueArn }] },
    },
  ];
  return {
    region,
    accountId: input.accountId ?? null,
    eventSource,
    eventBusName,
    ruleName,
    queueName,
    deadLetterQueueName,
    ruleArn,
    queueArn,
    deadLetterQueueArn,
    queueUrl,
    steps,
    input,
  };
}

export function eventPattern(eventSource: string): string {
  return JSON.stringify({ source: [eventSource] });
}

export function mainQueueAttributes(deadLetterQueueArn: string, maxReceiveCount: number, visibilityTimeoutSeconds: number): Record<string, string> {
  return {
    VisibilityTimeout: String(visibilityTimeoutSeconds),
    ReceiveMessageWaitTimeSeconds: '20',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount }),
  };
}

/** Only the idgraph rule may send to the queue: EventBridge as principal, pinned by aws:SourceArn. */
export function queuePolicy(queueArn: string, ruleArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Id: `${queueArn}/idgraph-eventbridge`,
    Statement: [
      {
        Sid: 'AllowIdgraphOktaRule',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      },
    ],
  });
}

/** `idgraph-<org>-<stream>`, cut to what SQS allows (dots in stream names become "-"). */
export function defaultQueueName(org: string, stream: string): string {
  return `idgraph-${org}-${stream}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 76);
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The plan as text for `--dry-run`: each call with its exact input. */
export function formatPlan(plan: EventBridgePlan): string {
  const lines = [
    `EventBridge → SQS setup for ${plan.eventSource}`,
    `  region ${plan.region}, account ${plan.accountId ?? `${ACCOUNT_PLACEHOLDER} (read from the event bus at apply time)`}`,
    `  queue ${plan.queueName}, dead-letter queue ${plan.deadLetterQueueName}, rule ${plan.ruleName}`,
    '',
  ];
  plan.steps.forEach((step, i) => {
    const what = step.action === 'CreateQueue' ? `${step.action} (${step.queue === 'dlq' ? 'dead-letter queue' : 'main queue'})` : step.action;
    lines.push(`${i + 1}. ${what}`);
    for (const line of JSON.stringify(expandJsonStrings(step.input), null, 2).split('\n')) lines.push(`   ${line}`);
  });
  lines.push('', 'Existing resources are reused; the rule, queue attributes, policy and target are updated to match.');
  return lines.join('\n');
}

/** Policies and patterns are JSON inside strings; show them as JSON so the plan is readable. */
function expandJsonStrings(value: unknown): unknown {
  if (typeof value === 'string' && /^[[{]/.test(value)) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  if (Array.isArray(value)) return value.map(expandJsonStrings);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandJsonStrings(v)]));
  }
  return value;
}
