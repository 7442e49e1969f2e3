/**
 * The synthesized template of the GPU tier, point by point of the issue: network and GPU
 * fleet, task definition, job queue, backlog scaling, least privilege, alarms, outputs, and
 * what differs between dev and prod.
 */
import type { CfnElement } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import * as cxapi from "aws-cdk-lib/cx-api";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { type CfnResourceJson, onlyResource, type SynthesizedStack, synthesize } from "./helpers.ts";

let dev: SynthesizedStack;
let prod: SynthesizedStack;

beforeAll(() => {
  dev = synthesize();
  prod = synthesize({
    environment: "prod",
    instanceType: "g6.xlarge",
    maxInstances: "4",
    backlogPerTask: "20",
    region: "eu-west-1",
    alarmEmail: "ops@example.com",
    edgeOrigin: "https://fcn.example.com",
  });
});

/** Logical id of an L2 construct's CloudFormation resource. */
const logicalIdOf = (s: SynthesizedStack, construct: IConstruct) =>
  s.stack.getLogicalId(construct.node.defaultChild as CfnElement);

/** Statements of the IAM policies attached to the role with this logical id. */
function statementsOfRole(s: SynthesizedStack, roleLogicalId: string) {
  return Object.values(s.template.findResources("AWS::IAM::Policy"))
    .filter((p) => (p.Properties.Roles ?? []).some((r: { Ref: string }) => r.Ref === roleLogicalId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const queueArn = (s: SynthesizedStack) => ({ "Fn::GetAtt": [logicalIdOf(s, s.stack.jobQueue.queue), "Arn"] });

describe("given the dev stack from cdk.json defaults", () => {
  describe("when its network and GPU fleet are synthesized", () => {
    it("then the VPC has two public subnets and no NAT gateway", () => {
      dev.template.resourceCountIs("AWS::EC2::NatGateway", 0);
      const subnets = Object.values(dev.template.findResources("AWS::EC2::Subnet"));
      expect(subnets).toHaveLength(2);
      for (const subnet of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(true);
    });

    it("then the instances' security group lets nothing in and only HTTPS/HTTP out", () => {
      const { resource: sg } = onlyResource(dev.template, "AWS::EC2::SecurityGroup");
      expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
      dev.template.resourceCountIs("AWS::EC2::SecurityGroupIngress", 0);
      const ports = sg.Properties.SecurityGroupEgress.map((rule: { FromPort: number; ToPort: number }) => [
        rule.FromPort,
        rule.ToPort,
      ]);
      expect(ports).toEqual([
        [443, 443],
        [80, 80],
      ]);
    });

    it("then rejected traffic is flow-logged", () => {
      dev.template.hasResourceProperties("AWS::EC2::FlowLog", { TrafficType: "REJECT" });
    });

    it("then the ECS cluster has Container Insights on", () => {
      dev.template.hasResourceProperties("AWS::ECS::Cluster", {
        ClusterSettings: [{ Name: "containerInsights", Value: "enabled" }],
      });
    });

    it("then instances boot the ECS GPU-optimised Amazon Linux 2 AMI as g5.xlarge, join the cluster, and use IMDSv2 with hop limit 1", () => {
      const { resource: lt } = onlyResource(dev.template, "AWS::EC2::LaunchTemplate");
      const data = lt.Properties.LaunchTemplateData;
      expect(data.InstanceType).toBe("g5.xlarge");
      const amiParameter = dev.template.toJSON().Parameters[data.ImageId.Ref];
      expect(amiParameter.Default).toBe(
        "/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id",
      );
      expect(data.MetadataOptions).toEqual({ HttpTokens: "required", HttpPutResponseHopLimit: 1 });
      expect(data.BlockDeviceMappings[0].Ebs).toMatchObject({ Encrypted: true, VolumeType: "gp3" });
      const userData = JSON.stringify(data.UserData);
      expect(userData).toContain("ECS_CLUSTER=");
      expect(userData).toContain("ECS_ENABLE_GPU_SUPPORT=true");
    });

    it("then the Auto Scaling group runs 0 to maxInstances instances and sets no desired capacity", () => {
      const { resource: asg } = onlyResource(dev.template, "AWS::AutoScaling::AutoScalingGroup");
      expect(asg.Properties).toMatchObject({
        MinSize: "0",
        MaxSize: "2",
        NewInstancesProtectedFromScaleIn: true,
      });
      expect(asg.Properties.DesiredCapacity).toBeUndefined();
    });

    it("then the group is a capacity provider with managed scaling and managed termination protection", () => {
      dev.template.hasResourceProperties("AWS::ECS::CapacityProvider", {
        AutoScalingGroupProvider: {
          ManagedScaling: { Status: "ENABLED", TargetCapacity: 100 },
          ManagedTerminationProtection: "ENABLED",
        },
      });
      const { logicalId } = onlyResource(dev.template, "AWS::ECS::CapacityProvider");
      dev.template.hasResourceProperties("AWS::ECS::ClusterCapacityProviderAssociations", {
        CapacityProviders: Match.arrayWith([{ Ref: logicalId }]),
      });
    });
  });

  describe("when the gpu-service task definition is synthesized", () => {
    const container = () =>
      onlyResource(dev.template, "AWS::ECS::TaskDefinition").resource.Properties.ContainerDefinitions[0];

    it("then it is an EC2 task on the Docker bridge with one GPU", () => {
      dev.template.hasResourceProperties("AWS::ECS::TaskDefinition", {
        RequiresCompatibilities: ["EC2"],
        NetworkMode: "bridge",
      });
      expect(container().ResourceRequirements).toEqual([{ Type: "GPU", Value: "1" }]);
    });

    it("then its image is an asset built from the configured Dockerfile for linux/amd64", () => {
      expect(JSON.stringify(container().Image)).toContain("container-assets");
      const manifest = dev.app
        .synth()
        .artifacts.find((a): a is cxapi.AssetManifestArtifact => a instanceof cxapi.AssetManifestArtifact);
      const images = Object.values(manifest?.contents.dockerImages ?? {});
      expect(images).toHaveLength(1);
      expect(images[0].source).toMatchObject({ dockerFile: "Dockerfile", platform: "linux/amd64" });
    });

    it("then it logs to a CloudWatch log group with a retention", () => {
      expect(container().LogConfiguration).toMatchObject({
        LogDriver: "awslogs",
        Options: { "awslogs-stream-prefix": "gpu-service" },
      });
      const groups = Object.values(dev.template.findResources("AWS::Logs::LogGroup"));
      for (const group of groups) expect(group.Properties.RetentionInDays).toBe(14);
    });

    it("then its health check asks /healthz with node, after a start period for CUDA and the model", () => {
      const check = container().HealthCheck;
      expect(check.Command.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
      expect(check.Command[3]).toContain("/healthz");
      expect(check.StartPeriod).toBeGreaterThanOrEqual(120);
    });

    it("then no setting is plain environment: settings come from SSM, CALLBACK_SECRET from Secrets Manager", () => {
      const def = container();
      expect(def.Environment).toBeUndefined();
      const secrets: { Name: string; ValueFrom: unknown }[] = def.Secrets;
      expect(secrets.map((s) => s.Name).sort()).toEqual(
        [
          "AWS_REGION",
          "BATCH_SIZE",
          "CALLBACK_SECRET",
          "CONCURRENCY",
          "LOG_LEVEL",
          "MAX_RECEIVES",
          "MODEL_PATH",
          "PORT",
          "PROVIDER",
          "QUEUE_URL",
          "VISIBILITY_TIMEOUT_SECONDS",
        ].sort(),
      );
      const secret = onlyResource(dev.template, "AWS::SecretsManager::Secret");
      expect(secrets.find((s) => s.Name === "CALLBACK_SECRET")?.ValueFrom).toEqual({ Ref: secret.logicalId });
      for (const s of secrets.filter((s) => s.Name !== "CALLBACK_SECRET")) {
        expect(JSON.stringify(s.ValueFrom)).toContain(":parameter");
      }
    });

    it("then the callback secret is generated by Secrets Manager, its value nowhere in the template", () => {
      const { resource } = onlyResource(dev.template, "AWS::SecretsManager::Secret");
      expect(resource.Properties.GenerateSecretString).toMatchObject({
        PasswordLength: 64,
        ExcludePunctuation: true,
      });
      expect(resource.Properties.SecretString).toBeUndefined();
    });

    it("then the SSM settings name the queue, region, model, port 8080, CUDA, and match the queue (visibility, receives)", () => {
      const parameters = Object.values(dev.template.findResources("AWS::SSM::Parameter")).map(
        (p) => p.Properties,
      );
      const byName = Object.fromEntries(parameters.map((p) => [p.Name, p.Value]));
      const queueRef = { Ref: logicalIdOf(dev, dev.stack.jobQueue.queue) };
      expect(byName).toMatchObject({
        "/fcn/dev/gpu-service/QUEUE_URL": queueRef,
        "/fcn/dev/gpu-service/AWS_REGION": { Ref: "AWS::Region" },
        "/fcn/dev/gpu-service/MODEL_PATH": "/app/models/fcn8s.onnx",
        "/fcn/dev/gpu-service/PORT": "8080",
        "/fcn/dev/gpu-service/VISIBILITY_TIMEOUT_SECONDS": "120",
        "/fcn/dev/gpu-service/MAX_RECEIVES": "3",
        "/fcn/dev/gpu-service/PROVIDER": "cuda",
        "/fcn/dev/gpu-service/LOG_LEVEL": "debug",
      });
    });

    it("then EDGE_ORIGIN is set only when edgeOrigin is given (the GPU tier then talks to that origin only)", () => {
      const settings = (t: SynthesizedStack) =>
        Object.fromEntries(
          Object.values(t.template.findResources("AWS::SSM::Parameter")).map((p) => [
            p.Properties.Name,
            p.Properties.Value,
          ]),
        );
      expect(settings(prod)["/fcn/prod/gpu-service/EDGE_ORIGIN"]).toBe("https://fcn.example.com");
      expect(Object.keys(settings(dev)).some((name) => name.endsWith("/EDGE_ORIGIN"))).toBe(false);
    });

    it("then the service places tasks through the capacity provider, with no desired count of its own", () => {
      const { resource: service } = onlyResource(dev.template, "AWS::ECS::Service");
      const { logicalId: capacityProvider } = onlyResource(dev.template, "AWS::ECS::CapacityProvider");
      expect(service.Properties.CapacityProviderStrategy).toEqual([
        { CapacityProvider: { Ref: capacityProvider }, Weight: 1 },
      ]);
      expect(service.Properties.LaunchType).toBeUndefined();
      expect(service.Properties.DesiredCount).toBeUndefined();
      expect(service.Properties.DeploymentConfiguration.DeploymentCircuitBreaker).toEqual({
        Enable: true,
        Rollback: true,
      });
    });
  });

  describe("when the job queue is synthesized", () => {
    it("then jobs dead-letter after 3 receives into a DLQ that keeps them 14 days", () => {
      const dlq = logicalIdOf(dev, dev.stack.jobQueue.deadLetterQueue);
      dev.template.hasResourceProperties("AWS::SQS::Queue", {
        RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [dlq, "Arn"] }, maxReceiveCount: 3 },
      });
      expect(onlyById(dev, dlq).Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    });

    it("then both queues are SQS-managed encrypted and deny requests without TLS", () => {
      const queues = Object.values(dev.template.findResources("AWS::SQS::Queue"));
      expect(queues).toHaveLength(2);
      for (const q of queues) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
      const policies = Object.values(dev.template.findResources("AWS::SQS::QueuePolicy"));
      expect(policies).toHaveLength(2);
      for (const p of policies) {
        expect(p.Properties.PolicyDocument.Statement).toContainEqual(
          expect.objectContaining({
            Effect: "Deny",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        );
      }
    });

    it("then the visibility timeout (120 s) outlasts one missed 60 s heartbeat, and task shutdown fits inside it", () => {
      const main = onlyById(dev, logicalIdOf(dev, dev.stack.jobQueue.queue));
      expect(main.Properties.VisibilityTimeout).toBe(120);
      const def = onlyResource(dev.template, "AWS::ECS::TaskDefinition").resource.Properties
        .ContainerDefinitions[0];
      expect(def.StopTimeout).toBeLessThanOrEqual(main.Properties.VisibilityTimeout);
    });
  });

  describe("when the backlog scaling is synthesized", () => {
    it("then the service's task count may go from 0 to maxInstances", () => {
      dev.template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", {
        ScalableDimension: "ecs:service:DesiredCount",
        MinCapacity: 0,
        MaxCapacity: 2,
      });
    });

    it("then scale-out watches jobs waiting plus in flight on the queue, from the first job", () => {
      const { alarm } = scalingPolicy(dev, "ScaleToBacklog");
      expect(alarm.Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        EvaluationPeriods: 1,
      });
      const metricNames = alarm.Properties.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat).map(
        (m: { MetricStat: { Metric: { MetricName: string } } }) => m.MetricStat.Metric.MetricName,
      );
      expect(metricNames.sort()).toEqual([
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesVisible",
      ]);
    });

    it.each([
      [1, 1],
      [50, 1],
      [51, 2],
      [100, 2],
      [5000, 2],
    ])("then %i jobs ask for %i task(s) (backlog per task 50, at most 2)", (jobs, tasks) => {
      expect(tasksFor(dev, jobs)).toBe(tasks);
    });

    it("then an empty queue for 15 minutes (or no metrics at all) scales the service to 0", () => {
      const { policy, alarm } = scalingPolicy(dev, "ScaleToZero");
      expect(policy.Properties.StepScalingPolicyConfiguration).toMatchObject({
        AdjustmentType: "ExactCapacity",
        StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: 0 }],
      });
      expect(alarm.Properties).toMatchObject({
        Threshold: 0,
        ComparisonOperator: "LessThanOrEqualToThreshold",
        EvaluationPeriods: 15,
        TreatMissingData: "breaching",
      });
    });
  });

  describe("when its IAM is synthesized (least privilege)", () => {
    it("then the task role may only receive, extend, delete and read attributes, on the job queue only", () => {
      const statements = statementsOfRole(
        dev,
        logicalIdOf(dev, dev.stack.gpuService.taskDefinition.taskRole),
      );
      expect(statements).toEqual([
        {
          Effect: "Allow",
          Action: [
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ReceiveMessage",
          ],
          Resource: queueArn(dev),
        },
      ]);
    });

    it("then the Worker's IAM user may only sqs:SendMessage to the job queue, and has no access key in the template", () => {
      const { logicalId: user, resource } = onlyResource(dev.template, "AWS::IAM::User");
      expect(resource.Properties?.ManagedPolicyArns).toBeUndefined();
      const policies = Object.values(dev.template.findResources("AWS::IAM::Policy")).filter((p) =>
        (p.Properties.Users ?? []).some((u: { Ref: string }) => u.Ref === user),
      );
      expect(policies.flatMap((p) => p.Properties.PolicyDocument.Statement)).toEqual([
        { Effect: "Allow", Action: "sqs:SendMessage", Resource: queueArn(dev) },
      ]);
      dev.template.resourceCountIs("AWS::IAM::AccessKey", 0);
    });

    it("then no other principal may send to the queue", () => {
      const senders = Object.values(dev.template.findResources("AWS::IAM::Policy")).filter((p) =>
        JSON.stringify(p.Properties.PolicyDocument).includes("sqs:SendMessage"),
      );
      expect(senders).toHaveLength(1);
    });
  });

  describe("when its alarms are synthesized", () => {
    const topicRef = () => ({ Ref: onlyResource(dev.template, "AWS::SNS::Topic").logicalId });

    it("then an SSL-only SNS topic exists and, without alarmEmail, has no subscription", () => {
      onlyResource(dev.template, "AWS::SNS::Topic");
      dev.template.hasResourceProperties("AWS::SNS::TopicPolicy", {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          ]),
        },
      });
      dev.template.resourceCountIs("AWS::SNS::Subscription", 0);
    });

    it("then a message in the DLQ raises an alarm on the topic", () => {
      const dlqName = { "Fn::GetAtt": [logicalIdOf(dev, dev.stack.jobQueue.deadLetterQueue), "QueueName"] };
      dev.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        MetricName: "ApproximateNumberOfMessagesVisible",
        Dimensions: [{ Name: "QueueName", Value: dlqName }],
        Threshold: 0,
        ComparisonOperator: "GreaterThanThreshold",
        AlarmActions: [topicRef()],
        OKActions: [topicRef()],
      });
    });

    it("then a job waiting longer than 15 minutes raises an alarm on the topic", () => {
      dev.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        MetricName: "ApproximateAgeOfOldestMessage",
        Threshold: 900,
        ComparisonOperator: "GreaterThanThreshold",
        AlarmActions: [topicRef()],
      });
    });

    it("then tasks desired but not running for 15 minutes raise an alarm on the topic", () => {
      dev.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: "desired - running" }),
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({
                Namespace: "ECS/ContainerInsights",
                MetricName: "RunningTaskCount",
              }),
            }),
          }),
        ]),
        EvaluationPeriods: 3,
        AlarmActions: [topicRef()],
      });
    });

    it("then failed instance launches (no GPU capacity, quota) are reported to the topic", () => {
      const { resource: asg } = onlyResource(dev.template, "AWS::AutoScaling::AutoScalingGroup");
      expect(asg.Properties.NotificationConfigurations).toEqual([
        {
          NotificationTypes: [
            "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
            "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
          ],
          TopicARN: topicRef(),
        },
      ]);
    });
  });

  describe("when its outputs are synthesized", () => {
    it("then they give the queue URL, DLQ URL, sender user name, alarm topic ARN and the secret's ARN", () => {
      const outputs = dev.template.toJSON().Outputs;
      expect(Object.keys(outputs).sort()).toEqual(
        [
          "AlarmTopicArn",
          "CallbackSecretArn",
          "DeadLetterQueueUrl",
          "QueueUrl",
          "WorkerSenderUserName",
        ].sort(),
      );
      expect(JSON.stringify(outputs)).not.toMatch(/SecretAccessKey|SecretString|AccessKey"/);
    });
  });

  describe("when dev is torn down", () => {
    it("then nothing is retained and the stack is not termination-protected", () => {
      expect(dev.stack.terminationProtection).toBe(false);
      const retained = Object.entries(
        dev.template.toJSON().Resources as Record<string, CfnResourceJson>,
      ).filter(([, r]) => r.DeletionPolicy === "Retain");
      expect(retained).toEqual([]);
    });
  });
});

describe("given the prod stack with -c instanceType=g6.xlarge maxInstances=4 backlogPerTask=20 region=eu-west-1 alarmEmail=...", () => {
  describe("when it is synthesized", () => {
    it("then it is pinned to the region and termination-protected", () => {
      expect(prod.stack.region).toBe("eu-west-1");
      expect(prod.stack.terminationProtection).toBe(true);
    });

    it("then the fleet is g6.xlarge, at most 4 instances and 4 tasks", () => {
      const { resource: lt } = onlyResource(prod.template, "AWS::EC2::LaunchTemplate");
      expect(lt.Properties.LaunchTemplateData.InstanceType).toBe("g6.xlarge");
      prod.template.hasResourceProperties("AWS::AutoScaling::AutoScalingGroup", {
        MinSize: "0",
        MaxSize: "4",
      });
      prod.template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", {
        MinCapacity: 0,
        MaxCapacity: 4,
      });
    });

    it.each([
      [20, 1],
      [21, 2],
      [61, 4],
      [10_000, 4],
    ])("then %i jobs ask for %i task(s)", (jobs, tasks) => {
      expect(tasksFor(prod, jobs)).toBe(tasks);
    });

    it("then the alarm topic has the e-mail subscription", () => {
      prod.template.hasResourceProperties("AWS::SNS::Subscription", {
        Protocol: "email",
        Endpoint: "ops@example.com",
      });
    });

    it("then the callback secret and the log groups are retained, logs for 90 days", () => {
      expect(onlyResource(prod.template, "AWS::SecretsManager::Secret").resource.DeletionPolicy).toBe(
        "Retain",
      );
      const groups = Object.values(prod.template.findResources("AWS::Logs::LogGroup"));
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups) {
        expect(g.DeletionPolicy).toBe("Retain");
        expect(g.Properties.RetentionInDays).toBe(90);
      }
    });

    it("then settings live under /fcn/prod and log at info", () => {
      prod.template.hasResourceProperties("AWS::SSM::Parameter", {
        Name: "/fcn/prod/gpu-service/LOG_LEVEL",
        Value: "info",
      });
    });
  });
});

function onlyById(s: SynthesizedStack, logicalId: string): CfnResourceJson {
  return s.template.toJSON().Resources[logicalId];
}

/** The scaling policy whose logical id starts with the construct id, and the alarm that triggers it. */
function scalingPolicy(s: SynthesizedStack, name: string) {
  const policies = Object.entries(
    s.template.findResources("AWS::ApplicationAutoScaling::ScalingPolicy"),
  ).filter(([id]) => id.includes(name));
  expect(policies).toHaveLength(1);
  const [policyId, policy] = policies[0];
  const alarms = Object.values(s.template.findResources("AWS::CloudWatch::Alarm")).filter((a) =>
    (a.Properties.AlarmActions ?? []).some((action: { Ref?: string }) => action.Ref === policyId),
  );
  expect(alarms).toHaveLength(1);
  return { policy: policy as CfnResourceJson, alarm: alarms[0] as CfnResourceJson };
}

/**
 * What Application Auto Scaling would set the task count to for `jobs`, from the template:
 * the step whose interval (relative to the alarm threshold) holds the metric value.
 */
function tasksFor(s: SynthesizedStack, jobs: number): number | undefined {
  const { policy, alarm } = scalingPolicy(s, "ScaleToBacklog");
  if (jobs < alarm.Properties.Threshold) return undefined;
  const delta = jobs - alarm.Properties.Threshold;
  const step = policy.Properties.StepScalingPolicyConfiguration.StepAdjustments.find(
    (a: { MetricIntervalLowerBound?: number; MetricIntervalUpperBound?: number }) =>
      (a.MetricIntervalLowerBound ?? Number.NEGATIVE_INFINITY) <= delta &&
      delta < (a.MetricIntervalUpperBound ?? Number.POSITIVE_INFINITY),
  );
  return step?.ScalingAdjustment;
}
