import { Duration, type RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import { BacklogScaling } from "./backlog-scaling.ts";
import type { DeploymentEnvironment } from "./config.ts";
import { JOB_VISIBILITY_TIMEOUT, type JobQueue, MAX_RECEIVE_COUNT } from "./job-queue.ts";

/** The port gpu-service serves /healthz and /metrics on. */
export const SERVICE_PORT = 8080;

/** Where the gpu-service image must hold the full-resolution model (models/fcn8s.onnx of this repository). */
export const MODEL_PATH = "/app/models/fcn8s.onnx";

export interface GpuServiceProps {
  environment: DeploymentEnvironment;
  cluster: ecs.ICluster;
  capacityProvider: ecs.AsgCapacityProvider;
  jobQueue: JobQueue;
  image: ecs.ContainerImage;
  maxTasks: number;
  backlogPerTask: number;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  /** Jobs one task works on at once (downloads and uploads overlap inference). */
  concurrency?: number;
  /** Images per inference batch on the GPU. */
  batchSize?: number;
  /** The Worker's public origin: when set, the service talks to no other (EDGE_ORIGIN). */
  edgeOrigin?: string;
}

/**
 * The gpu-service on the GPU fleet: an EC2 task with one GPU, its image built from
 * gpu-service/Dockerfile, logs in CloudWatch, a /healthz container health check, settings
 * from SSM Parameter Store and the callback secret from Secrets Manager (no value of either
 * is in the task definition), and a task count that follows the queue from zero.
 */
export class GpuService extends Construct {
  readonly service: ecs.Ec2Service;
  readonly taskDefinition: ecs.Ec2TaskDefinition;
  readonly logGroup: logs.LogGroup;
  /** Shared Standard Webhooks key for job callbacks; the Worker's CALLBACK_SECRET must hold the same value. */
  readonly callbackSecret: secretsmanager.Secret;
  /** Parameter Store path under which the non-secret settings live. */
  readonly settingsPath: string;
  readonly scaling: BacklogScaling;

  constructor(scope: Construct, id: string, props: GpuServiceProps) {
    super(scope, id);

    this.callbackSecret = new secretsmanager.Secret(this, "CallbackSecret", {
      description:
        "Standard Webhooks key the gpu-service signs job callbacks with; the Worker's CALLBACK_SECRET (wrangler secret) must equal it",
      // 64 letters and digits are valid base64 (48 key bytes), which the standardwebhooks
      // library takes with or without its whsec_ prefix; punctuation could break the base64.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.callbackSecret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "The value is shared with the Cloudflare Worker (wrangler secret CALLBACK_SECRET), which a rotation " +
        "Lambda cannot update; an automatic rotation would break every callback. Rotated by hand as documented " +
        "in infra/README.md (put-secret-value, wrangler secret put, restart tasks).",
    });

    // Non-secret settings as Parameter Store values injected at task start, not as plain
    // environment: an operator can retune one (aws ssm put-parameter) and the next task start
    // (every cold start) picks it up, without a template change.
    this.settingsPath = `/fcn/${props.environment}/gpu-service`;
    const settings: Record<string, string> = {
      QUEUE_URL: props.jobQueue.queue.queueUrl,
      // The ECS agent on EC2 does not set the region for containers (Fargate does).
      AWS_REGION: Stack.of(this).region,
      MODEL_PATH,
      // Two jobs at once: one job's download and upload overlap the other's inference.
      CONCURRENCY: String(props.concurrency ?? 2),
      BATCH_SIZE: String(props.batchSize ?? 1),
      // The visibility the service asks for per receive and per heartbeat: the queue's.
      VISIBILITY_TIMEOUT_SECONDS: String(JOB_VISIBILITY_TIMEOUT.toSeconds()),
      // The service treats the attempt that reaches the redrive limit as the last one.
      MAX_RECEIVES: String(MAX_RECEIVE_COUNT),
      // On a GPU instance, CUDA or nothing: a silent CPU fallback would be ~50x slower, while a
      // failing start shows up in the health check and the "tasks not running" alarm.
      PROVIDER: "cuda",
      PORT: String(SERVICE_PORT),
      LOG_LEVEL: props.environment === "prod" ? "info" : "debug",
      ...(props.edgeOrigin ? { EDGE_ORIGIN: props.edgeOrigin } : {}),
    };
    const secrets: Record<string, ecs.Secret> = {};
    for (const [name, value] of Object.entries(settings)) {
      const parameter = new ssm.StringParameter(this, `${pascalCase(name)}Setting`, {
        parameterName: `${this.settingsPath}/${name}`,
        stringValue: value,
        description: `gpu-service setting ${name} (read at task start)`,
      });
      secrets[name] = ecs.Secret.fromSsmParameter(parameter);
    }
    secrets.CALLBACK_SECRET = ecs.Secret.fromSecretsManager(this.callbackSecret);

    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    // Bridge networking: instances sit in public subnets and awsvpc tasks on EC2 get no public
    // IP, so they could not reach anything without a NAT gateway. Bridged containers go out
    // through the instance's address, and nothing reaches them (no inbound rule).
    this.taskDefinition = new ecs.Ec2TaskDefinition(this, "TaskDefinition", {
      networkMode: ecs.NetworkMode.BRIDGE,
    });
    this.taskDefinition.addContainer("GpuService", {
      image: props.image,
      essential: true,
      gpuCount: 1,
      // A soft reservation that fits every g5/g6 size; with one task per instance the process
      // may use the rest of the host's memory.
      memoryReservationMiB: 4096,
      secrets,
      portMappings: [{ containerPort: SERVICE_PORT, name: "http" }],
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: "gpu-service" }),
      // Node is in the image already (curl and wget may not be): exit 0 only on a 2xx /healthz.
      healthCheck: {
        command: [
          "CMD",
          "node",
          "-e",
          "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))",
        ],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        // CUDA initialisation and the model load happen before /healthz turns green.
        startPeriod: Duration.seconds(180),
      },
      // On scale-in or deploy, SIGTERM lets the service finish (or give back) its current jobs;
      // never longer than the queue's visibility timeout.
      stopTimeout: JOB_VISIBILITY_TIMEOUT,
    });
    props.jobQueue.grantConsume(this.taskDefinition.taskRole);

    this.service = new ecs.Ec2Service(this, "Service", {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      capacityProviderStrategies: [
        { capacityProvider: props.capacityProvider.capacityProviderName, weight: 1 },
      ],
      // No desiredCount: Application Auto Scaling owns it, and a value in the template would
      // reset the fleet on every deploy. (ECS starts a new service with one task, which the
      // idle scale-in removes again.)
      // Deploys start the new task before stopping the old one: no gap while jobs are waiting.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      enableECSManagedTags: true,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    // The capacity provider must be attached to the cluster before a service can name it.
    this.service.node.addDependency(props.cluster);

    this.scaling = new BacklogScaling(this, "Scaling", {
      cluster: props.cluster,
      service: this.service,
      queue: props.jobQueue.queue,
      maxTasks: props.maxTasks,
      backlogPerTask: props.backlogPerTask,
    });

    Validations.of(this.taskDefinition.obtainExecutionRole()).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "ecr:GetAuthorizationToken, written by CDK for pulling the image asset, has no resource-level permissions; " +
        "every other statement of the execution role names its repository, log group, parameters or secret.",
    });
  }
}

// QUEUE_URL -> QueueUrl, for construct ids.
function pascalCase(name: string): string {
  return name
    .toLowerCase()
    .split("_")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join("");
}
