import { CfnOutput, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { Platform } from "aws-cdk-lib/aws-ecr-assets";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { AlarmTopic, GpuTierAlarms } from "./alarms.ts";
import type { GpuTierConfig } from "./config.ts";
import { GpuCluster } from "./gpu-cluster.ts";
import { GpuService } from "./gpu-service.ts";
import { JobQueue } from "./job-queue.ts";
import { WorkerSender } from "./worker-sender.ts";

/**
 * Paths under the build context (the repository root) that never belong in the gpu-service
 * image: they would slow the asset hash at every synth and bust Docker's cache.
 */
export const IMAGE_EXCLUDES = [
  "**/node_modules",
  ".git",
  "infra/cdk.out",
  "**/cdk.out",
  ".wrangler",
  ".dev.vars",
  "test/artifacts",
  "models/runs",
  "**/*.pt",
  ".venv",
  "**/__pycache__",
];

export interface GpuServiceStackProps extends StackProps {
  config: GpuTierConfig;
}

/**
 * Everything the GPU tier needs in AWS: the job queue and its dead-letter queue, the IAM user
 * the Worker sends with, the GPU fleet (VPC, ECS cluster, capacity provider from zero), the
 * gpu-service with its settings and secret, backlog scaling, and alarms on an SNS topic.
 */
export class GpuServiceStack extends Stack {
  readonly jobQueue: JobQueue;
  readonly workerSender: WorkerSender;
  readonly alarmTopic: AlarmTopic;
  readonly gpuCluster: GpuCluster;
  readonly gpuService: GpuService;
  readonly alarms: GpuTierAlarms;

  constructor(scope: Construct, id: string, props: GpuServiceStackProps) {
    const { config, ...stackProps } = props;
    const prod = config.environment === "prod";
    super(scope, id, {
      description: `FCN segmentation GPU tier (${config.environment}): SQS job queue, ECS GPU fleet scaling from zero, alarms`,
      // A prod stack has to be unprotected on purpose before `cdk destroy` can remove it.
      terminationProtection: prod,
      ...stackProps,
    });

    // dev tears down completely; prod keeps what is hard to recreate or needed afterwards:
    // the callback secret (shared with the Worker) and the logs.
    const keep = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = prod ? logs.RetentionDays.THREE_MONTHS : logs.RetentionDays.TWO_WEEKS;

    // Queues only hold jobs in transit: nothing worth keeping once the stack is gone.
    this.jobQueue = new JobQueue(this, "JobQueue", { removalPolicy: RemovalPolicy.DESTROY });
    this.workerSender = new WorkerSender(this, "WorkerSender", { jobQueue: this.jobQueue });
    this.alarmTopic = new AlarmTopic(this, "AlarmTopic", { email: config.alarmEmail });

    this.gpuCluster = new GpuCluster(this, "GpuCluster", {
      instanceType: new ec2.InstanceType(config.instanceType),
      maxInstances: config.maxInstances,
      notificationTopic: this.alarmTopic.topic,
      logRetention,
      removalPolicy: keep,
    });

    this.gpuService = new GpuService(this, "GpuService", {
      environment: config.environment,
      cluster: this.gpuCluster.cluster,
      capacityProvider: this.gpuCluster.capacityProvider,
      jobQueue: this.jobQueue,
      image: ecs.ContainerImage.fromAsset(config.imageBuildContext, {
        file: config.imageDockerfile,
        exclude: IMAGE_EXCLUDES,
        // GPU instances are x86_64; pinned so an arm64 laptop builds the right image.
        platform: Platform.LINUX_AMD64,
      }),
      // One GPU per instance and per task: the fleet cap is the task cap.
      maxTasks: config.maxInstances,
      backlogPerTask: config.backlogPerTask,
      edgeOrigin: config.edgeOrigin,
      logRetention,
      removalPolicy: keep,
    });

    this.alarms = new GpuTierAlarms(this, "Alarms", {
      topic: this.alarmTopic.topic,
      jobQueue: this.jobQueue,
      cluster: this.gpuCluster.cluster,
      service: this.gpuService.service,
    });

    new CfnOutput(this, "QueueUrl", {
      description: "SQS_QUEUE_URL for the Worker (wrangler.toml [vars])",
      value: this.jobQueue.queue.queueUrl,
    });
    new CfnOutput(this, "DeadLetterQueueUrl", {
      description: "Jobs that failed every attempt",
      value: this.jobQueue.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, "WorkerSenderUserName", {
      description:
        "IAM user for the Worker's AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (aws iam create-access-key)",
      value: this.workerSender.user.userName,
    });
    new CfnOutput(this, "AlarmTopicArn", {
      description: "SNS topic of the GPU tier's alarms",
      value: this.alarmTopic.topic.topicArn,
    });
    new CfnOutput(this, "CallbackSecretArn", {
      description:
        "Secrets Manager secret whose value the Worker's CALLBACK_SECRET must equal (the ARN, not the value)",
      value: this.gpuService.callbackSecret.secretArn,
    });
  }
}
