import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';

/** An in-process SQS-compatible server (fauxqs) on 127.0.0.1, for the demo: the consumer speaks real SQS to it. */
export interface LocalSqs {
  endpoint: string;
  sqs: SQSClient;
  createQueue(name: string, attributes?: Record<string, string>): Promise<{ url: string; arn: string }>;
  stop(): Promise<void>;
}

export async function startLocalSqs(): Promise<LocalSqs> {
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
  const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  return {
    endpoint,
    sqs,
    async createQueue(name, attributes) {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: QueueUrl!, AttributeNames: ['QueueArn'] }));
      return { url: QueueUrl!, arn: Attributes!.QueueArn! };
    },
    async stop() {
      sqs.destroy();
      await app.close();
    },
  };
}
