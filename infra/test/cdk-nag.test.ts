/**
 * Security check of the synthesized stacks with cdk-nag's AWS Solutions rules. cdk-nag 3 is a
 * CDK policy-validation plugin (bin/app.ts registers it, so `cdk synth` fails on a finding);
 * here the same pack is run directly on each stack to name the findings in the test output.
 * Acknowledgements are made with Validations.of(construct).acknowledge({ id, reason }) next to
 * the resource they concern.
 */
import { Stack, Validations } from "aws-cdk-lib";
import { Annotations, Match } from "aws-cdk-lib/assertions";
import * as sns from "aws-cdk-lib/aws-sns";
import cdkNag from "cdk-nag";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { synthesize } from "./helpers.ts";

// cdk-nag is CommonJS; Node's ESM loader does not see its exports by name.
const { AwsSolutionsChecks } = cdkNag;

/** "severity ruleId at path" for every unacknowledged finding. */
function findings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}: ${v.description}`),
  );
}

/** Every AwsSolutions acknowledgement in the tree, with its reason. */
function acknowledgements(scope: IConstruct): { path: string; id: string; reason: string }[] {
  return scope.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ""), reason }))
      .filter((a) => a.id.startsWith("AwsSolutions-")),
  );
}

describe.each([
  ["dev", {}],
  ["prod", { environment: "prod", alarmEmail: "ops@example.com" }],
])("given the %s stack", (_name, context) => {
  const { stack } = synthesize(context);

  it("when checked with cdk-nag's AwsSolutionsChecks, then no error or warning is left unacknowledged", () => {
    expect(findings(stack)).toEqual([]);
  });

  it("when its annotations are read, then CDK reports no error or warning", () => {
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError("*", Match.anyValue())).toEqual([]);
    expect(annotations.findWarning("*", Match.anyValue())).toEqual([]);
  });

  it("when its acknowledgements are listed, then each is one of the reviewed few and says why", () => {
    const acks = acknowledgements(stack);
    expect([...new Set(acks.map((a) => a.id))].sort()).toEqual([
      "AwsSolutions-AS3",
      "AwsSolutions-IAM5[Action::ecs:Submit*]",
      "AwsSolutions-IAM5[Resource::*]",
      "AwsSolutions-SMG4",
      "AwsSolutions-SNS2",
    ]);
    for (const ack of acks) expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(60);
  });
});

describe("given a stack with a known violation (an SNS topic without TLS enforcement or encryption)", () => {
  it("when checked, then the check reports it (the check above is live, not silently empty)", () => {
    const stack = new Stack();
    new sns.Topic(stack, "Topic");
    expect(findings(stack).join("\n")).toMatch(/AwsSolutions-SNS3/);
  });
});
