import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

/**
 * How long a received job stays hidden from other consumers. The gpu-service heartbeats every
 * 30-60 s and each heartbeat extends the visibility by ~60 s, so 120 s survives one missed
 * heartbeat, while a crashed task's job is visible again within two minutes.
 */
export const JOB_VISIBILITY_TIMEOUT = Duration.seconds(120);

/** Receives before a job is parked in the dead-letter queue (a poison job costs at most 3 GPU attempts). */
export const MAX_RECEIVE_COUNT = 3;

export interface JobQueueProps {
  removalPolicy: RemovalPolicy;
}

/**
 * The SQS queue between the Worker (producer) and the gpu-service (consumer), with its
 * dead-letter queue. Both are SQS-managed-encrypted and refuse non-TLS requests.
 */
export class JobQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: JobQueueProps) {
    super(scope, id);

    // SSE-SQS rather than a KMS key: no key to pay for ($1/month) and no kms:* grants for the
    // Worker's user or the task role.
    this.deadLetterQueue = new sqs.Queue(this, "DeadLetterQueue", {
      // Longer than the source queue's retention: a dead-lettered message keeps its original
      // enqueue time, so a shorter DLQ retention would expire it early.
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
    });

    this.queue = new sqs.Queue(this, "Queue", {
      visibilityTimeout: JOB_VISIBILITY_TIMEOUT,
      // Long polling by default, so an idle consumer costs one request per 20 s, not a busy loop.
      receiveMessageWaitTime: Duration.seconds(20),
      // The SQS default, stated: a job's signed URLs expire long before this.
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
      removalPolicy: props.removalPolicy,
    });
  }

  /**
   * Lets `grantee` work jobs off the queue: receive, extend visibility, delete, and read the
   * queue's attributes. On this queue only; not even sqs:GetQueueUrl (the URL is configured).
   */
  grantConsume(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
      ],
      resourceArns: [this.queue.queueArn],
    });
  }

  /** Lets `grantee` enqueue jobs: sqs:SendMessage on this queue and nothing else. */
  grantSend(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ["sqs:SendMessage"],
      resourceArns: [this.queue.queueArn],
    });
  }
}
