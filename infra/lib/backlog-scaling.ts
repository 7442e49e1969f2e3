import { Duration, Stack } from "aws-cdk-lib";
import * as appscaling from "aws-cdk-lib/aws-applicationautoscaling";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as ecs from "aws-cdk-lib/aws-ecs";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface BacklogScalingProps {
  cluster: ecs.ICluster;
  service: ecs.BaseService;
  queue: sqs.IQueue;
  maxTasks: number;
  /** Jobs one task should have ahead of it; more than that and another task is started. */
  backlogPerTask: number;
  /** How long the queue must be empty (nothing waiting, nothing running) before the service goes to zero. */
  idleBeforeScaleIn?: Duration;
}

/**
 * Sizes the service from its queue, from zero: while jobs exist (waiting or being worked on),
 * the task count is ceil(jobs / backlogPerTask) up to maxTasks; after the queue has been idle
 * for a while it is 0, and the capacity provider then releases the GPU instances.
 *
 * Step scaling with exact capacities rather than target tracking: "backlog per task" is
 * undefined at zero tasks, and target tracking does not reliably go to zero.
 */
export class BacklogScaling extends Construct {
  /** Jobs waiting plus jobs in flight, per minute. */
  readonly jobs: cloudwatch.MathExpression;
  readonly taskCount: appscaling.ScalableTarget;
  readonly jobsWaitingAlarm: cloudwatch.Alarm;
  readonly queueIdleAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: BacklogScalingProps) {
    super(scope, id);
    const period = Duration.minutes(1);
    const idle = props.idleBeforeScaleIn ?? Duration.minutes(15);

    // In-flight jobs count too: a task that is working must not be scaled away because the
    // visible backlog reads zero.
    this.jobs = new cloudwatch.MathExpression({
      expression: "FILL(visible, 0) + FILL(inFlight, 0)",
      usingMetrics: {
        visible: props.queue.metricApproximateNumberOfMessagesVisible({ period, statistic: "Maximum" }),
        inFlight: props.queue.metricApproximateNumberOfMessagesNotVisible({ period, statistic: "Maximum" }),
      },
      period,
      label: "Jobs waiting or running",
    });

    this.taskCount = new appscaling.ScalableTarget(this, "TaskCount", {
      serviceNamespace: appscaling.ServiceNamespace.ECS,
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: `service/${props.cluster.clusterName}/${props.service.serviceName}`,
      minCapacity: 0,
      maxCapacity: props.maxTasks,
      // The service-linked role Application Auto Scaling uses for ECS (what CDK's
      // autoScaleTaskCount uses too), instead of a new role with ecs:* on "*".
      role: iam.Role.fromRoleArn(
        this,
        "EcsScalingServiceLinkedRole",
        Stack.of(this).formatArn({
          service: "iam",
          region: "",
          resource: "role/aws-service-role/ecs.application-autoscaling.amazonaws.com",
          resourceName: "AWSServiceRoleForApplicationAutoScaling_ECSService",
        }),
      ),
    });

    // Scale out (and follow the backlog down while jobs remain): one step per task count.
    // Step bounds are relative to the alarm threshold of 1 job, so jobs 1..B give 1 task,
    // B+1..2B give 2, and so on.
    const scaleToBacklog = new appscaling.StepScalingAction(this, "ScaleToBacklog", {
      scalingTarget: this.taskCount,
      adjustmentType: appscaling.AdjustmentType.EXACT_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      cooldown: Duration.minutes(1),
    });
    for (let tasks = 1; tasks <= props.maxTasks; tasks++) {
      scaleToBacklog.addAdjustment({
        adjustment: tasks,
        lowerBound: (tasks - 1) * props.backlogPerTask,
        upperBound: tasks === props.maxTasks ? undefined : tasks * props.backlogPerTask,
      });
    }
    this.jobsWaitingAlarm = new cloudwatch.Alarm(this, "JobsWaitingAlarm", {
      alarmDescription: "Scaling: jobs are waiting or running, size the gpu-service to the backlog",
      metric: this.jobs,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // React to the first minute with a job: the cold start that follows takes minutes anyway.
      evaluationPeriods: 1,
      // No data means SQS is not publishing for an inactive queue: nothing to scale for.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.jobsWaitingAlarm.addAlarmAction(new cloudwatchActions.ApplicationScalingAction(scaleToBacklog));

    // Scale in to zero only after a quiet spell: keeping a warm g5.xlarge for 15 minutes costs
    // ~$0.25, a cold start costs minutes of latency for the next job.
    const scaleToZero = new appscaling.StepScalingAction(this, "ScaleToZero", {
      scalingTarget: this.taskCount,
      adjustmentType: appscaling.AdjustmentType.EXACT_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
    });
    scaleToZero.addAdjustment({ adjustment: 0, upperBound: 0 });
    const idleMinutes = Math.max(1, Math.round(idle.toMinutes()));
    this.queueIdleAlarm = new cloudwatch.Alarm(this, "QueueIdleAlarm", {
      alarmDescription: `Scaling: no job waiting or running for ${idleMinutes} minutes, scale the gpu-service to zero`,
      metric: this.jobs,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: idleMinutes,
      // An inactive queue stops publishing metrics; that is idle too.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.queueIdleAlarm.addAlarmAction(new cloudwatchActions.ApplicationScalingAction(scaleToZero));
  }
}
