import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { METRICS_CONTENT_TYPE, ServiceMetrics } from "./metrics.ts";

describe("metrics exposition", () => {
  it("writes counters with labels and cumulative histogram buckets", async () => {
    // The text format dashboards and alarms read, as prom-client writes it.
    const registry = new Registry();
    const counter = new Counter({
      name: "jobs_total",
      help: "Jobs.",
      labelNames: ["outcome"],
      registers: [registry],
    });
    counter.inc({ outcome: "succeeded" });
    counter.inc({ outcome: "succeeded" });
    counter.inc({ outcome: 'we"ird' });
    expect((await registry.metrics()).trimEnd()).toBe(
      [
        "# HELP jobs_total Jobs.",
        "# TYPE jobs_total counter",
        'jobs_total{outcome="succeeded"} 2',
        'jobs_total{outcome="we\\"ird"} 1',
      ].join("\n"),
    );
    registry.clear();
    const histogram = new Histogram({
      name: "latency_seconds",
      help: "Latency.",
      buckets: [0.1, 1],
      registers: [registry],
    });
    for (const v of [0.05, 0.5, 5]) histogram.observe(v);
    expect((await registry.metrics()).trimEnd().split("\n").slice(2)).toEqual([
      'latency_seconds_bucket{le="0.1"} 1',
      'latency_seconds_bucket{le="1"} 2',
      'latency_seconds_bucket{le="+Inf"} 3',
      "latency_seconds_sum 5.55",
      "latency_seconds_count 3",
    ]);
    expect(METRICS_CONTENT_TYPE).toContain("text/plain; version=0.0.4");
  });

  it("reports the execution provider as an info gauge", async () => {
    const metrics = new ServiceMetrics();
    metrics.info.set({ provider: "cpu", model: "m" }, 1);
    expect(await metrics.render()).toContain('fcn_gpu_service_info{provider="cpu",model="m"} 1\n');
  });

  it("counts for each instance on its own, and reads job outcomes back", async () => {
    const a = new ServiceMetrics();
    const b = new ServiceMetrics();
    a.jobs.inc({ outcome: "succeeded" });
    expect(await a.jobsEnded("succeeded")).toBe(1);
    expect(await b.jobsEnded("succeeded")).toBe(0);
  });
});
