/**
 * Sends job messages to SQS with SigV4 (aws4fetch) over the JSON protocol, so the same code
 * talks to AWS in production and to the local SQS emulator in development.
 */
import { AwsClient } from "aws4fetch";
import type { JobMessage } from "../../protocol/jobs.ts";

export async function sendToQueue(env: Env, message: JobMessage): Promise<void> {
  const aws = new AwsClient({
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    region: env.AWS_REGION,
    service: "sqs",
  });
  const queueUrl = env.SQS_QUEUE_URL;
  const response = await aws.fetch(`${new URL(queueUrl).origin}/`, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.SendMessage" },
    body: JSON.stringify({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) {
    throw new Error(`SQS SendMessage answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  }
}
