import { type RemovalPolicy, Validations } from "aws-cdk-lib";
import * as autoscaling from "aws-cdk-lib/aws-autoscaling";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";

export interface GpuClusterProps {
  /** A GPU instance type with one GPU (g5.xlarge ... g5.16xlarge, g6.xlarge ...). */
  instanceType: ec2.InstanceType;
  maxInstances: number;
  /** Where Auto Scaling reports failed launches and terminations (e.g. no GPU capacity, vCPU quota). */
  notificationTopic: sns.ITopic;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  /** Root volume size: the ECS GPU AMI plus a CUDA-based image (several GB) and its unpacked layers. */
  rootVolumeGiB?: number;
}

/**
 * The network and compute of the GPU tier: a VPC of public subnets (no NAT gateway to pay for;
 * instances take no inbound traffic at all), an ECS cluster, and an Auto Scaling group of GPU
 * instances on the ECS GPU-optimised AMI behind a capacity provider with managed scaling and
 * managed termination protection. The group's minimum is 0: without tasks there are no instances.
 */
export class GpuCluster extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  readonly securityGroup: ec2.SecurityGroup;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly capacityProvider: ecs.AsgCapacityProvider;

  constructor(scope: Construct, id: string, props: GpuClusterProps) {
    super(scope, id);

    const flowLogs = new logs.LogGroup(this, "RejectedFlowLogs", {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.vpc = new ec2.Vpc(this, "Vpc", {
      ipAddresses: ec2.IpAddresses.cidr("10.40.0.0/16"),
      // Two AZs give Auto Scaling a second place to find GPU capacity; subnets cost nothing.
      maxAzs: 2,
      // The instances only call out (AWS APIs, ECR, the Worker's signed URLs): public subnets
      // and a no-inbound security group do that without a NAT gateway's ~$33/month per AZ.
      natGateways: 0,
      subnetConfiguration: [{ name: "Public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      // Nothing is placed in the default security group; stripping its rules would take a
      // Lambda-backed custom resource for no gain.
      restrictDefaultSecurityGroup: false,
      // Rejected traffic only: it is what shows probing of the public IPs, at a fraction of the
      // log volume of all traffic.
      flowLogs: {
        Rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });

    this.cluster = new ecs.Cluster(this, "Cluster", {
      vpc: this.vpc,
      // Per-service task counts (desired vs running) feed the "tasks not running" alarm.
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    this.securityGroup = new ec2.SecurityGroup(this, "InstanceSecurityGroup", {
      vpc: this.vpc,
      description:
        "GPU instances: no inbound; outbound HTTPS (AWS APIs, ECR, signed job URLs) and HTTP (OS mirrors)",
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      "AWS APIs (ECS, ECR, SQS, logs), image layers, the Worker's signed URLs and callback",
    );
    // cloud-init's first-boot package update may reach OS mirrors over plain HTTP; blocking it
    // would stall each cold start on retries.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), "OS package mirrors at boot");

    const instanceRole = new iam.Role(this, "InstanceRole", {
      assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com"),
      description: "ECS container agent on the GPU instances (register, poll, pull images, write logs)",
    });
    const userData = ec2.UserData.forLinux();
    // The GPU AMI turns this on itself; stating it keeps GPU scheduling working if the AMI's
    // defaults change. The cluster line is appended when the capacity provider is added.
    userData.addCommands("echo ECS_ENABLE_GPU_SUPPORT=true >> /etc/ecs/ecs.config");

    const launchTemplate = new ec2.LaunchTemplate(this, "LaunchTemplate", {
      machineImage: ecs.EcsOptimizedImage.amazonLinux2(ecs.AmiHardwareType.GPU),
      instanceType: props.instanceType,
      role: instanceRole,
      userData,
      securityGroup: this.securityGroup,
      associatePublicIpAddress: true,
      // IMDSv2 with a hop limit of 1: the agent (host network) reaches the metadata service,
      // containers on the Docker bridge (one hop further) cannot, so a task can only use its
      // task role, never the instance role.
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      blockDevices: [
        {
          deviceName: "/dev/xvda",
          volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeGiB ?? 60, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            encrypted: true,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, "Instances", {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      launchTemplate,
      // Capacity follows tasks: the capacity provider sets the desired count, so none is set here
      // (a desired count in the template would reset the fleet on every deploy).
      minCapacity: 0,
      maxCapacity: props.maxInstances,
      notifications: [{ topic: props.notificationTopic, scalingEvents: autoscaling.ScalingEvents.ERRORS }],
    });
    Validations.of(this.autoScalingGroup).acknowledge({
      id: "AwsSolutions-AS3",
      reason:
        "Launch and terminate errors (no GPU capacity, vCPU quota) go to the alarm topic. Successful " +
        "launches and terminations are routine for a fleet that scales to zero and would drown the alarms.",
    });

    this.capacityProvider = new ecs.AsgCapacityProvider(this, "CapacityProvider", {
      autoScalingGroup: this.autoScalingGroup,
      // ECS launches instances for tasks that cannot be placed and removes idle ones.
      enableManagedScaling: true,
      // An instance running a task is protected from scale-in until its tasks are gone.
      enableManagedTerminationProtection: true,
      // No spare GPU instance: with one task per instance, 100% means instances == tasks.
      targetCapacityPercent: 100,
      machineImageType: ecs.MachineImageType.AMAZON_LINUX_2,
    });
    this.cluster.addAsgCapacityProvider(this.capacityProvider);

    // Written by Cluster.addAsgCapacityProvider for the ECS container agent; scoped to the cluster
    // where the API allows it.
    Validations.of(instanceRole).acknowledge(
      {
        id: "AwsSolutions-IAM5[Action::ecs:Submit*]",
        reason:
          "ECS agent's state reports (SubmitTaskStateChange, SubmitContainerStateChange, ...), limited to this " +
          "cluster's ARN; CDK's statement for the container agent.",
      },
      {
        id: "AwsSolutions-IAM5[Resource::*]",
        reason:
          "Calls without resource-level permissions (ecr:GetAuthorizationToken, ecs:DiscoverPollEndpoint) and the " +
          "log writes of Docker's awslogs driver, which runs on the host; ecs:Poll/StartTelemetrySession carry an " +
          "ecs:cluster condition on this cluster.",
      },
    );
  }
}
