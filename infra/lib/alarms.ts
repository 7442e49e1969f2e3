import { Duration, Validations } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as ecs from "aws-cdk-lib/aws-ecs";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";
import { type JobQueue, MAX_RECEIVE_COUNT } from "./job-queue.ts";

export interface AlarmTopicProps {
  /** Subscribed by e-mail when given (the address must confirm the subscription). */
  email?: string;
}

/** The SNS topic every alarm of the GPU tier (and Auto Scaling launch errors) notifies. */
export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, "Topic", {
      displayName: "FCN GPU tier alarms",
      enforceSSL: true,
    });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    Validations.of(this.topic).acknowledge({
      id: "AwsSolutions-SNS2",
      reason:
        "Alarm notifications carry alarm names and metric values, nothing confidential. CloudWatch alarms " +
        "cannot publish to a topic under the AWS-managed SNS key, and a customer-managed key would add $1/month " +
        "to a stack that otherwise costs about that much at zero load.",
    });
  }
}

export interface GpuTierAlarmsProps {
  topic: sns.ITopic;
  jobQueue: JobQueue;
  cluster: ecs.ICluster;
  service: ecs.BaseService;
  /** Oldest-job age that means the fleet is not keeping up; must exceed a cold start. */
  maxJobAge?: Duration;
}

/**
 * The alarms someone should hear about: jobs dead-lettered, jobs waiting too long, and tasks
 * that ECS wants running but cannot keep running. Each notifies the topic when it fires and
 * when it clears.
 */
export class GpuTierAlarms extends Construct {
  readonly deadLetterQueueNotEmpty: cloudwatch.Alarm;
  readonly oldestJobTooOld: cloudwatch.Alarm;
  readonly tasksNotRunning: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: GpuTierAlarmsProps) {
    super(scope, id);
    const maxJobAge = props.maxJobAge ?? Duration.minutes(15);

    // Any dead-lettered job failed every attempt: a bug, a poison input or a broken fleet.
    this.deadLetterQueueNotEmpty = new cloudwatch.Alarm(this, "DeadLetterQueueNotEmpty", {
      alarmDescription: `Jobs in the dead-letter queue: they failed ${MAX_RECEIVE_COUNT} receives. Inspect, fix, redrive.`,
      metric: props.jobQueue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: "Maximum",
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // A cold start (instance launch + image pull + model load) takes a few minutes; a job older
    // than maxJobAge means the fleet is not coming up or not keeping up.
    this.oldestJobTooOld = new cloudwatch.Alarm(this, "OldestJobTooOld", {
      alarmDescription: `The oldest waiting job is older than ${maxJobAge.toMinutes()} minutes: the GPU fleet is not draining the queue.`,
      metric: props.jobQueue.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: "Maximum",
      }),
      threshold: maxJobAge.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // Desired above running for 15 minutes: tasks crash or fail their health check, the image
    // does not pull, or no GPU instance can be launched. (Container Insights task counts.)
    const taskCount = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: "ECS/ContainerInsights",
        metricName,
        dimensionsMap: { ClusterName: props.cluster.clusterName, ServiceName: props.service.serviceName },
        period: Duration.minutes(5),
        statistic: "Average",
      });
    this.tasksNotRunning = new cloudwatch.Alarm(this, "TasksNotRunning", {
      alarmDescription:
        "gpu-service tasks wanted but not running for 15 minutes: crash loop, failing /healthz, image pull, or no GPU capacity.",
      metric: new cloudwatch.MathExpression({
        expression: "desired - running",
        usingMetrics: { desired: taskCount("DesiredTaskCount"), running: taskCount("RunningTaskCount") },
        period: Duration.minutes(5),
        label: "Tasks desired but not running",
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const notify = new cloudwatchActions.SnsAction(props.topic);
    for (const alarm of [this.deadLetterQueueNotEmpty, this.oldestJobTooOld, this.tasksNotRunning]) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }
  }
}
