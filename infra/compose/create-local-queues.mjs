// Creates the stream queue and its dead-letter queue on the local SQS server of docker-compose,
// with the same attributes `idgraph infra eventbridge setup` gives them on AWS. Idempotent.
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

const endpoint = process.env.SQS_ENDPOINT ?? 'http://sqs:4566';
const name = process.env.SQS_QUEUE_NAME ?? 'idgraph-okta';
const sqs = new SQSClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq`, Attributes: { MessageRetentionPeriod: '1209600' } }));
const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
const main = await sqs.send(
  new CreateQueueCommand({
    QueueName: name,
    Attributes: {
      VisibilityTimeout: '30',
      ReceiveMessageWaitTimeSeconds: '20',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes.QueueArn, maxReceiveCount: 5 }),
    },
  }),
);
process.stdout.write(`queue ${main.QueueUrl}\ndead-letter queue ${dlq.QueueUrl}\n`);
