import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import type { JobQueue } from "./job-queue.ts";

export interface WorkerSenderProps {
  jobQueue: JobQueue;
}

/**
 * The IAM user the Cloudflare Worker signs its SQS requests as: it may send to the job queue
 * and do nothing else. The stack creates no access key (a key in a template ends up in its
 * outputs or state); an operator creates one with `aws iam create-access-key` and stores it
 * only as wrangler secrets (see infra/README.md).
 */
export class WorkerSender extends Construct {
  readonly user: iam.User;

  constructor(scope: Construct, id: string, props: WorkerSenderProps) {
    super(scope, id);
    this.user = new iam.User(this, "User");
    props.jobQueue.grantSend(this.user);
  }
}
