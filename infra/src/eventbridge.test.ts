import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceNotFoundException,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyEventBridgeSetup, teardownEventBridge } from './apply.js';
import { InfraInputError, formatPlan, planEventBridgeSetup } from './plan.js';
import { startLocalSqs, type LocalSqs } from '@idgraph/stream-consumer';

const SOURCE = 'aws.partner/okta.com/acme/idgraph.stream';
const ACCOUNT = '000000000000'; // fauxqs's account, so planned SQS ARNs equal the real ones
const REGION = 'us-east-1';

const notFound = (what: string) => new ResourceNotFoundException({ message: `${what} does not exist.`, $metadata: {} });

/** A tiny in-memory EventBridge behind aws-sdk-client-mock: enough state to prove idempotency. */
function fakeEventBridge(ebMock: AwsClientStub<EventBridgeClient>) {
  const state = {
    buses: new Set<string>(),
    rules: new Map<string, { EventPattern?: string; State?: string }>(),
    targets: new Map<string, Target[]>(),
  };
  const busArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
  const ruleArn = (bus: string, name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${bus}/${name}`;
  ebMock.on(DescribeEventBusCommand).callsFake((i: { Name: string }) => {
    if (!state.buses.has(i.Name)) throw notFound(`Event bus ${i.Name}`);
    return { Name: i.Name, Arn: busArn(i.Name) };
  });
  ebMock.on(CreateEventBusCommand).callsFake((i: { Name: string }) => {
    state.buses.add(i.Name);
    return { EventBusArn: busArn(i.Name) };
  });
  ebMock.on(DescribeRuleCommand).callsFake((i: { Name: string; EventBusName: string }) => {
    const rule = state.rules.get(`${i.EventBusName}|${i.Name}`);
    if (!rule) throw notFound(`Rule ${i.Name}`);
    return { ...rule, Name: i.Name, Arn: ruleArn(i.EventBusName, i.Name) };
  });
  ebMock.on(PutRuleCommand).callsFake((i: { Name: string; EventBusName: string; EventPattern: string; State: string }) => {
    state.rules.set(`${i.EventBusName}|${i.Name}`, { EventPattern: i.EventPattern, State: i.State });
    return { RuleArn: ruleArn(i.EventBusName, i.Name) };
  });
  ebMock.on(ListTargetsByRuleCommand).callsFake((i: { Rule: string; EventBusName: string }) => {
    if (!state.rules.has(`${i.EventBusName}|${i.Rule}`)) throw notFound(`Rule ${i.Rule}`);
    return { Targets: state.targets.get(`${i.EventBusName}|${i.Rule}`) ?? [] };
  });
  ebMock.on(PutTargetsCommand).callsFake((i: { Rule: string; EventBusName: string; Targets: Target[] }) => {
    const key = `${i.EventBusName}|${i.Rule}`;
    const others = (state.targets.get(key) ?? []).filter((t) => !i.Targets.some((n) => n.Id === t.Id));
    state.targets.set(key, [...others, ...i.Targets]);
    return { FailedEntryCount: 0, FailedEntries: [] };
  });
  ebMock.on(RemoveTargetsCommand).callsFake((i: { Rule: string; EventBusName: string; Ids: string[] }) => {
    const key = `${i.EventBusName}|${i.Rule}`;
    if (!state.rules.has(key)) throw notFound(`Rule ${i.Rule}`);
    state.targets.set(key, (state.targets.get(key) ?? []).filter((t) => !i.Ids.includes(t.Id ?? '')));
    return { FailedEntryCount: 0 };
  });
  ebMock.on(DeleteRuleCommand).callsFake((i: { Name: string; EventBusName: string }) => {
    if (!state.rules.delete(`${i.EventBusName}|${i.Name}`)) throw notFound(`Rule ${i.Name}`);
    return {};
  });
  ebMock.on(DeleteEventBusCommand).callsFake((i: { Name: string }) => {
    if (!state.buses.delete(i.Name)) throw notFound(`Event bus ${i.Name}`);
    return {};
  });
  return state;
}

describe('planEventBridgeSetup', () => {
  it('lists every call with its exact input', () => {
    const plan = planEventBridgeSetup({ region: 'eu-west-1', eventSource: SOURCE, accountId: '123456789012' });
    expect(plan.queueName).toBe('idgraph-acme-idgraph-stream');
    expect(plan.deadLetterQueueName).toBe('idgraph-acme-idgraph-stream-dlq');
    const ruleArn = 'arn:aws:events:eu-west-1:123456789012:rule/aws.partner/okta.com/acme/idgraph.stream/idgraph-to-idgraph-acme-idgraph-stream';
    const queueArn = 'arn:aws:sqs:eu-west-1:123456789012:idgraph-acme-idgraph-stream';
    expect(plan.steps).toEqual([
      { action: 'CreateEventBus', input: { Name: SOURCE, EventSourceName: SOURCE } },
      {
        action: 'PutRule',
        input: {
          Name: 'idgraph-to-idgraph-acme-idgraph-stream',
          EventBusName: SOURCE,
          EventPattern: JSON.stringify({ source: [SOURCE] }),
          State: 'ENABLED',
          Description: 'idgraph: Okta System Log events to SQS',
        },
      },
      { action: 'CreateQueue', queue: 'dlq', input: { QueueName: 'idgraph-acme-idgraph-stream-dlq', Attributes: { MessageRetentionPeriod: '1209600' } } },
      {
        action: 'CreateQueue',
        queue: 'main',
        input: {
          QueueName: 'idgraph-acme-idgraph-stream',
          Attributes: {
            VisibilityTimeout: '30',
            ReceiveMessageWaitTimeSeconds: '20',
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:123456789012:idgraph-acme-idgraph-stream-dlq', maxReceiveCount: 5 }),
          },
        },
      },
      {
        action: 'SetQueueAttributes',
        queue: 'main',
        input: {
          QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/idgraph-acme-idgraph-stream',
          Attributes: {
            Policy: JSON.stringify({
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
            }),
          },
        },
      },
      {
        action: 'PutTargets',
        input: { Rule: 'idgraph-to-idgraph-acme-idgraph-stream', EventBusName: SOURCE, Targets: [{ Id: 'idgraph-sqs', Arn: queueArn }] },
      },
    ]);
  });

  it('formats a readable dry run with the account placeholder when the account is unknown', () => {
    const text = formatPlan(planEventBridgeSetup({ region: REGION, eventSource: SOURCE, queueName: 'okta-events' }));
    expect(text).toContain(`EventBridge → SQS setup for ${SOURCE}`);
    expect(text).toContain('account <account-id> (read from the event bus at apply time)');
    expect(text).toMatch(/1\. CreateEventBus[\s\S]*2\. PutRule[\s\S]*3\. CreateQueue \(dead-letter queue\)[\s\S]*4\. CreateQueue \(main queue\)[\s\S]*5\. SetQueueAttributes[\s\S]*6\. PutTargets/);
    // JSON-in-strings shown as JSON
    expect(text).toContain('"aws:SourceArn": "arn:aws:events:us-east-1:<account-id>:rule/');
    expect(text).toContain('"maxReceiveCount": 5');
  });

  it('rejects bad input with what was wrong and what is expected', () => {
    expect(() => planEventBridgeSetup({ region: REGION, eventSource: 'aws.partner/other.com/x/y' })).toThrow(
      /is not an Okta partner event source: expected aws.partner\/okta.com\/<org>\/<stream>/,
    );
    expect(() => planEventBridgeSetup({ region: 'useast1', eventSource: SOURCE })).toThrow(InfraInputError);
    expect(() => planEventBridgeSetup({ region: REGION, eventSource: SOURCE, accountId: '12' })).toThrow(/12-digit/);
    expect(() => planEventBridgeSetup({ region: REGION, eventSource: SOURCE, queueName: 'bad name!' })).toThrow(/--queue-name/);
  });
});

describe('applyEventBridgeSetup / teardownEventBridge (EventBridge mocked, SQS on fauxqs)', () => {
  let local: LocalSqs;
  const ebMock = mockClient(EventBridgeClient);
  let eventBridge: EventBridgeClient;

  beforeAll(async () => {
    local = await startLocalSqs();
  });
  afterAll(async () => {
    ebMock.restore();
    await local.stop();
  });
  beforeEach(() => {
    ebMock.reset();
    eventBridge = new EventBridgeClient({ region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  });

  async function queueAttributes(name: string): Promise<Record<string, string>> {
    const { QueueUrl } = await local.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes } = await local.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    return Attributes ?? {};
  }

  it('creates everything with the planned inputs, and a second apply changes nothing', async () => {
    const state = fakeEventBridge(ebMock);
    const plan = planEventBridgeSetup({ region: REGION, eventSource: SOURCE, accountId: ACCOUNT, queueName: 'okta-a' });
    const first = await applyEventBridgeSetup({ eventBridge, sqs: local.sqs }, plan);
    expect(first.steps.map((s) => s.outcome)).toEqual(['created', 'created', 'created', 'created', 'updated', 'created']);

    const planned = (action: string) => plan.steps.find((s) => s.action === action)!.input;
    expect(ebMock.commandCalls(CreateEventBusCommand).map((c) => c.args[0].input)).toEqual([planned('CreateEventBus')]);
    expect(ebMock.commandCalls(PutRuleCommand).map((c) => c.args[0].input)).toEqual([planned('PutRule')]);
    expect(ebMock.commandCalls(PutTargetsCommand).map((c) => c.args[0].input)).toEqual([planned('PutTargets')]);

    const dlq = await queueAttributes('okta-a-dlq');
    expect(dlq.MessageRetentionPeriod).toBe('1209600');
    const main = await queueAttributes('okta-a');
    expect(JSON.parse(main.RedrivePolicy!)).toEqual({ deadLetterTargetArn: plan.deadLetterQueueArn, maxReceiveCount: 5 });
    expect(dlq.QueueArn).toBe(plan.deadLetterQueueArn);
    expect(main.VisibilityTimeout).toBe('30');
    const policyStep = plan.steps.find((s) => s.action === 'SetQueueAttributes')!;
    expect(JSON.parse(main.Policy!)).toEqual(JSON.parse((policyStep.input.Attributes as Record<string, string>).Policy!));
    expect(JSON.parse(main.Policy!).Statement[0].Condition).toEqual({ ArnEquals: { 'aws:SourceArn': first.ruleArn } });
    expect(state.targets.get(`${SOURCE}|${plan.ruleName}`)).toEqual([{ Id: 'idgraph-sqs', Arn: main.QueueArn }]);

    const callsBefore = ebMock.calls().length;
    const second = await applyEventBridgeSetup({ eventBridge, sqs: local.sqs }, plan);
    expect(second.steps.map((s) => s.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
    const secondCalls = ebMock.calls().slice(callsBefore).map((c) => c.args[0].constructor.name);
    expect(secondCalls).toEqual(['DescribeEventBusCommand', 'DescribeRuleCommand', 'ListTargetsByRuleCommand']);
    expect(await queueAttributes('okta-a')).toEqual(main);
    expect(second.queueUrl).toBe(first.queueUrl);
  });

  it('reads the account from the event bus when not given, and repairs drifted resources', async () => {
    const state = fakeEventBridge(ebMock);
    const plan = planEventBridgeSetup({ region: REGION, eventSource: SOURCE, queueName: 'okta-b' });
    expect(plan.accountId).toBeNull();
    const first = await applyEventBridgeSetup({ eventBridge, sqs: local.sqs }, plan);
    expect(first.accountId).toBe(ACCOUNT);
    expect(first.ruleArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:rule/${SOURCE}/idgraph-to-okta-b`);

    // drift: someone disabled the rule, retargeted it and loosened the queue policy
    state.rules.set(`${SOURCE}|idgraph-to-okta-b`, { EventPattern: '{"source":[{"prefix":""}]}', State: 'DISABLED' });
    state.targets.set(`${SOURCE}|idgraph-to-okta-b`, [{ Id: 'idgraph-sqs', Arn: 'arn:aws:sqs:us-east-1:000000000000:elsewhere', InputPath: '$.detail' }]);
    await local.sqs.send(new SetQueueAttributesCommand({ QueueUrl: first.queueUrl, Attributes: { Policy: '{"Version":"2012-10-17","Statement":[]}', VisibilityTimeout: '5' } }));

    const repaired = await applyEventBridgeSetup({ eventBridge, sqs: local.sqs }, plan);
    expect(repaired.steps.map((s) => s.outcome)).toEqual(['unchanged', 'updated', 'unchanged', 'updated', 'updated', 'updated']);
    expect(state.rules.get(`${SOURCE}|idgraph-to-okta-b`)).toEqual({ EventPattern: JSON.stringify({ source: [SOURCE] }), State: 'ENABLED' });
    expect(state.targets.get(`${SOURCE}|idgraph-to-okta-b`)).toEqual([{ Id: 'idgraph-sqs', Arn: first.queueArn }]);
    const main = await queueAttributes('okta-b');
    expect(main.VisibilityTimeout).toBe('30');
    expect(JSON.parse(main.Policy!).Statement[0].Condition.ArnEquals['aws:SourceArn']).toBe(first.ruleArn);
  });

  it('tears everything down, and a second teardown finds nothing', async () => {
    const state = fakeEventBridge(ebMock);
    const plan = planEventBridgeSetup({ region: REGION, eventSource: SOURCE, accountId: ACCOUNT, queueName: 'okta-c' });
    await applyEventBridgeSetup({ eventBridge, sqs: local.sqs }, plan);
    const input = { region: REGION, eventSource: SOURCE, queueName: 'okta-c' };
    const report = await teardownEventBridge({ eventBridge, sqs: local.sqs }, input);
    expect(report.map((r) => r.outcome)).toEqual(['deleted', 'deleted', 'deleted', 'deleted', 'deleted']);
    expect(state.buses.size).toBe(0);
    expect(state.rules.size).toBe(0);
    await expect(local.sqs.send(new GetQueueUrlCommand({ QueueName: 'okta-c' }))).rejects.toThrow();
    await expect(local.sqs.send(new GetQueueUrlCommand({ QueueName: 'okta-c-dlq' }))).rejects.toThrow();
    const again = await teardownEventBridge({ eventBridge, sqs: local.sqs }, input);
    expect(again.map((r) => r.outcome)).toEqual(['absent', 'absent', 'absent', 'absent', 'absent']);
  });
});
