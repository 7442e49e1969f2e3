/**
 * A local SQS for development and tests: fauxqs (an in-process SQS emulator) listening on
 * 127.0.0.1, with the job queue and its dead-letter queue (RedrivePolicy maxReceiveCount).
 *
 * Queue URLs: fauxqs itself names queues `http://sqs.<region>.localhost:<port>/000000000000/<name>`
 * but finds a queue by its name whatever the host, so this helper hands out
 * `http://127.0.0.1:<port>/000000000000/<name>`: on port 9324 that is exactly the
 * SQS_QUEUE_URL the Worker is configured with (wrangler.toml), and it needs no DNS.
 *
 * `node scripts/local-queue.ts` runs it on its own (port LOCAL_QUEUE_PORT, default 9324).
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type GetQueueAttributesCommandOutput,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { buildApp } from "fauxqs";

/** The account id fauxqs uses in every queue URL and ARN. */
export const LOCAL_ACCOUNT_ID = "000000000000";
export const LOCAL_REGION = "us-east-1";
export const DEFAULT_LOCAL_QUEUE_PORT = 9324;

export interface LocalQueueOptions {
  /** default 9324; 0 picks a free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** default fcn-jobs; the dead-letter queue is `<name>-dlq` */
  queueName?: string;
  /** receives before a message moves to the DLQ (default $MAX_RECEIVES or 3) */
  maxReceiveCount?: number;
  /** the queue's default visibility timeout, seconds (default 120) */
  visibilityTimeoutSeconds?: number;
}

export interface LocalQueue {
  /** SQS endpoint for clients (AWS_ENDPOINT_URL_SQS) */
  endpoint: string;
  queueUrl: string;
  dlqUrl: string;
  port: number;
  /** an SQS client for this emulator (dummy credentials) */
  client(): SQSClient;
  /** ApproximateNumberOfMessages (visible) and ...NotVisible (in flight) of a queue */
  counts(queueUrl: string): Promise<{ visible: number; inFlight: number }>;
  stop(): Promise<void>;
}

const localQueueUrl = (host: string, port: number, name: string) =>
  `http://${host}:${port}/${LOCAL_ACCOUNT_ID}/${name}`;

/** Start fauxqs and create the job queue and its DLQ. */
export async function startLocalQueue(options: LocalQueueOptions = {}): Promise<LocalQueue> {
  const host = options.host ?? "127.0.0.1";
  const queueName = options.queueName ?? "fcn-jobs";
  const maxReceiveCount = options.maxReceiveCount ?? Number(process.env.MAX_RECEIVES ?? 3);
  // startFauxqs() always binds 0.0.0.0; its app listens wherever we ask.
  const app = buildApp({ logger: false });
  await app.listen({ port: options.port ?? DEFAULT_LOCAL_QUEUE_PORT, host });
  const port = (app.server.address() as { port: number }).port;
  const endpoint = `http://${host}:${port}`;
  const client = () =>
    new SQSClient({
      region: LOCAL_REGION,
      endpoint,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });

  const sqs = client();
  try {
    await sqs.send(new CreateQueueCommand({ QueueName: `${queueName}-dlq` }));
    const dlqUrl = localQueueUrl(host, port, `${queueName}-dlq`);
    const dlq = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }),
    );
    await sqs.send(
      new CreateQueueCommand({
        QueueName: queueName,
        Attributes: {
          VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 120),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlq.Attributes?.QueueArn,
            maxReceiveCount: String(maxReceiveCount),
          }),
        },
      }),
    );
  } catch (error) {
    sqs.destroy();
    await app.close();
    throw error;
  }

  return {
    endpoint,
    queueUrl: localQueueUrl(host, port, queueName),
    dlqUrl: localQueueUrl(host, port, `${queueName}-dlq`),
    port,
    client,
    async counts(queueUrl) {
      const out: GetQueueAttributesCommandOutput = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      );
      return {
        visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
      };
    },
    async stop() {
      sqs.destroy();
      await app.close();
    },
  };
}

if (import.meta.main) {
  const port = Number(process.env.LOCAL_QUEUE_PORT ?? DEFAULT_LOCAL_QUEUE_PORT);
  const queue = await startLocalQueue({ port });
  console.log(
    JSON.stringify({
      level: "info",
      msg: "local queue ready",
      endpoint: queue.endpoint,
      queue_url: queue.queueUrl,
      dlq_url: queue.dlqUrl,
    }),
  );
  const stop = () => void queue.stop().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
