/**
 * An in-process SQS-compatible server (fauxqs) bound to 127.0.0.1 on an ephemeral port: the demo's
 * queue and the tests'. The consumer speaks the real SQS protocol to it.
 * (fauxqs's own startFauxqs() listens on every interface; buildApp() lets us choose.)
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';

export interface LocalSqs {
  endpoint: string;
  sqs: SQSClient;
  createQueue(name: string, attributes?: Record<string, string>): Promise<{ url: string; arn: string }>;
  stop(): Promise<void>;
}

export async function startLocalSqs(): Promise<LocalSqs> {
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
  const sqs = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    endpoint,
    sqs,
    async createQueue(name, attributes) {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      const url = QueueUrl!;
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
      return { url, arn: Attributes!.QueueArn! };
    },
    async stop() {
      sqs.destroy();
      await app.close();
    },
  };
}
