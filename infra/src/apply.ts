/**
 * Applies an EventBridgePlan idempotently (describe/get first, create what is missing, update
 * what differs, leave the rest alone) and tears it down again.
 */
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type EventBridgeClient,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type QueueAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  DLQ_RETENTION_SECONDS,
  TARGET_ID,
  eventPattern,
  mainQueueAttributes,
  planEventBridgeSetup,
  queuePolicy,
  type EventBridgePlan,
} from './plan.js';

export interface InfraClients {
  eventBridge: EventBridgeClient;
  sqs: SQSClient;
}

export type StepOutcome = 'created' | 'updated' | 'unchanged';

export interface ApplyResult {
  accountId: string;
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
  ruleArn: string;
  steps: { resource: string; outcome: StepOutcome }[];
}

export async function applyEventBridgeSetup(clients: InfraClients, plan: EventBridgePlan): Promise<ApplyResult> {
  const steps: ApplyResult['steps'] = [];
  const { eventBridge, sqs } = clients;

  const bus = await ensureEventBus(eventBridge, plan);
  steps.push({ resource: `event bus ${plan.eventBusName}`, outcome: bus.outcome });
  const accountId = plan.accountId ?? accountOfArn(bus.arn);
  // Without an account id the plan held placeholders; now every ARN can be exact.
  const p = plan.accountId ? plan : planEventBridgeSetup({ ...plan.input, accountId });

  const rule = await ensureRule(eventBridge, p);
  steps.push({ resource: `rule ${p.ruleName}`, outcome: rule.outcome });

  const dlq = await ensureQueue(sqs, p.deadLetterQueueName, { MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS) });
  steps.push({ resource: `queue ${p.deadLetterQueueName}`, outcome: dlq.outcome });

  const maxReceiveCount = p.input.maxReceiveCount ?? 5;
  const visibility = p.input.visibilityTimeoutSeconds ?? 30;
  const main = await ensureQueue(sqs, p.queueName, mainQueueAttributes(dlq.arn, maxReceiveCount, visibility));
  steps.push({ resource: `queue ${p.queueName}`, outcome: main.outcome });

  const policy = await ensureQueueAttributes(sqs, main.url, { Policy: queuePolicy(main.arn, rule.arn) });
  steps.push({ resource: `queue policy of ${p.queueName}`, outcome: policy });

  const target = await ensureTarget(eventBridge, p, main.arn);
  steps.push({ resource: `target ${TARGET_ID} of rule ${p.ruleName}`, outcome: target });

  return {
    accountId,
    queueUrl: main.url,
    queueArn: main.arn,
    deadLetterQueueUrl: dlq.url,
    deadLetterQueueArn: dlq.arn,
    ruleArn: rule.arn,
    steps,
  };
}

export interface TeardownInput {
  region: string;
  eventSource: string;
  queueName?: string;
}

/** Removes the target, rule, event bus and both queues; what is already gone is reported as absent. */
export async function teardownEventBridge(
  clients: InfraClients,
  input: TeardownInput,
): Promise<{ resource: string; outcome: 'deleted' | 'absent' }[]> {
  const plan = planEventBridgeSetup({ region: input.region, eventSource: input.eventSource, queueName: input.queueName });
  const { eventBridge, sqs } = clients;
  const bus = { EventBusName: plan.eventBusName };
  const report: { resource: string; outcome: 'deleted' | 'absent' }[] = [];
  const attempt = async (resource: string, action: () => Promise<unknown>): Promise<void> => {
    try {
      await action();
      report.push({ resource, outcome: 'deleted' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      report.push({ resource, outcome: 'absent' });
    }
  };
  await attempt(`target ${TARGET_ID} of rule ${plan.ruleName}`, () =>
    eventBridge.send(new RemoveTargetsCommand({ Rule: plan.ruleName, ...bus, Ids: [TARGET_ID] })),
  );
  await attempt(`rule ${plan.ruleName}`, () => eventBridge.send(new DeleteRuleCommand({ Name: plan.ruleName, ...bus })));
  await attempt(`event bus ${plan.eventBusName}`, () => eventBridge.send(new DeleteEventBusCommand({ Name: plan.eventBusName })));
  for (const name of [plan.queueName, plan.deadLetterQueueName]) {
    await attempt(`queue ${name}`, async () => {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    });
  }
  return report;
}

async function ensureEventBus(eb: EventBridgeClient, plan: EventBridgePlan): Promise<{ arn: string; outcome: StepOutcome }> {
  try {
    const existing = await eb.send(new DescribeEventBusCommand({ Name: plan.eventBusName }));
    return { arn: existing.Arn ?? '', outcome: 'unchanged' };
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const created = await eb.send(new CreateEventBusCommand({ Name: plan.eventBusName, EventSourceName: plan.eventSource }));
  return { arn: created.EventBusArn ?? '', outcome: 'created' };
}

async function ensureRule(eb: EventBridgeClient, plan: EventBridgePlan): Promise<{ arn: string; outcome: StepOutcome }> {
  const step = plan.steps.find((s) => s.action === 'PutRule');
  if (!step) throw new Error('plan has no PutRule step');
  let existing: { EventPattern?: string; State?: string; Arn?: string } | null = null;
  try {
    existing = await eb.send(new DescribeRuleCommand({ Name: plan.ruleName, EventBusName: plan.eventBusName }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (existing && sameJson(existing.EventPattern, eventPattern(plan.eventSource)) && existing.State === 'ENABLED') {
    return { arn: existing.Arn ?? plan.ruleArn, outcome: 'unchanged' };
  }
  const out = await eb.send(new PutRuleCommand(step.input));
  return { arn: out.RuleArn ?? plan.ruleArn, outcome: existing ? 'updated' : 'created' };
}

async function ensureTarget(eb: EventBridgeClient, plan: EventBridgePlan, queueArn: string): Promise<StepOutcome> {
  const { Targets } = await eb.send(new ListTargetsByRuleCommand({ Rule: plan.ruleName, EventBusName: plan.eventBusName }));
  const current = (Targets ?? []).find((t) => t.Id === TARGET_ID);
  const exact = current && current.Arn === queueArn && !current.Input && !current.InputPath && !current.InputTransformer;
  if (exact) return 'unchanged';
  await eb.send(
    new PutTargetsCommand({ Rule: plan.ruleName, EventBusName: plan.eventBusName, Targets: [{ Id: TARGET_ID, Arn: queueArn }] }),
  );
  return current ? 'updated' : 'created';
}

async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string; outcome: StepOutcome }> {
  let url: string | undefined;
  try {
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  let outcome: StepOutcome;
  if (url) {
    outcome = await ensureQueueAttributes(sqs, url, attributes);
  } else {
    url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl;
    outcome = 'created';
  }
  if (!url) throw new Error(`SQS returned no URL for queue ${name}`);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`SQS returned no ARN for queue ${name}`);
  return { url, arn, outcome };
}

/** Sets only the attributes whose value differs (JSON-valued ones compared as JSON). */
async function ensureQueueAttributes(sqs: SQSClient, url: string, desired: Record<string, string>): Promise<StepOutcome> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: Object.keys(desired) as QueueAttributeName[] }));
  const current: Record<string, string | undefined> = out.Attributes ?? {};
  const changed: Record<string, string> = {};
  for (const [name, value] of Object.entries(desired)) {
    if (!sameAttribute(current[name], value)) changed[name] = value;
  }
  if (Object.keys(changed).length === 0) return 'unchanged';
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: changed }));
  return 'updated';
}

function sameAttribute(current: string | undefined, desired: string): boolean {
  if (current === desired) return true;
  if (current === undefined) return false;
  return /^[[{]/.test(desired) && sameJson(current, desired);
}

/** JSON equality regardless of key order; numbers written as strings (SQS sometimes does) compare equal. */
function sameJson(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return canonical(JSON.parse(a)) === canonical(JSON.parse(b));
  } catch {
    return false;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([x], [y]) => x.localeCompare(y));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return value;
  return JSON.stringify(value);
}

function accountOfArn(arn: string): string {
  const account = arn.split(':')[4];
  if (!account || !/^\d{12}$/.test(account)) {
    throw new Error(`cannot read the AWS account id from the event bus ARN ${JSON.stringify(arn)}; pass --account-id`);
  }
  return account;
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return (
    name === 'ResourceNotFoundException' ||
    name === 'QueueDoesNotExist' ||
    name === 'AWS.SimpleQueueService.NonExistentQueue'
  );
}
