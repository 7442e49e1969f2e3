/** The SQS lease against a real local SQS (fauxqs): visibility, heartbeat, concurrency, drain. */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type LocalQueue, startLocalQueue } from "../scripts/local-queue.ts";
import { type Lease, type LeaseOptions, LeasePoller } from "./lease.ts";
import { createLogger } from "./log.ts";
import { ServiceMetrics } from "./metrics.ts";
import { gate, sleep, waitFor } from "./test/harness.ts";

let queue: LocalQueue;
const pollers: LeasePoller[] = [];

beforeEach(async () => {
  queue = await startLocalQueue({ port: 0, maxReceiveCount: 5, visibilityTimeoutSeconds: 30 });
});
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop({ graceMs: 0, release: false })));
  await queue.stop();
});

function poller(handle: (lease: Lease) => Promise<void>, overrides: Partial<LeaseOptions> = {}) {
  const p = new LeasePoller(
    {
      sqs: queue.client(),
      queueUrl: queue.queueUrl,
      metrics: new ServiceMetrics(),
      log: createLogger("error"),
      concurrency: 1,
      visibilityTimeoutSeconds: 2,
      heartbeatSeconds: 0.5,
      waitTimeSeconds: 1,
      ...overrides,
    },
    handle,
  );
  pollers.push(p);
  p.start();
  return p;
}

async function send(n: number) {
  const sqs = queue.client();
  for (let i = 0; i < n; i++)
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: `m${i}` }));
  sqs.destroy();
}

const counts = () => queue.counts(queue.queueUrl);

describe("the SQS lease", () => {
  it("keeps a held message invisible past its visibility timeout with the heartbeat, then deletes it", async () => {
    const held = gate();
    const seen: Lease[] = [];
    poller(async (lease) => {
      seen.push(lease);
      lease.startHeartbeat("job");
      await held.promise;
      await lease.delete();
    });
    await send(1);
    await waitFor(() => seen.length === 1, 10_000, "the message");
    expect(seen[0].attempt).toBe(1);
    await sleep(3500); // past the 2 s visibility timeout
    expect(await counts()).toEqual({ visible: 0, inFlight: 1 });
    expect(seen).toHaveLength(1); // nobody received it again
    held.open();
    await waitFor(async () => (await counts()).inFlight === 0, 5000, "the delete");
    expect(await counts()).toEqual({ visible: 0, inFlight: 0 });
  });

  it("hands a message back after a backoff, and it comes back as the next attempt", async () => {
    const attempts: number[] = [];
    poller(async (lease) => {
      attempts.push(lease.attempt);
      if (lease.attempt === 1) await lease.retryAfter(0);
      else await lease.delete();
    });
    await send(1);
    await waitFor(() => attempts.length === 2, 10_000, "the second receive");
    expect(attempts).toEqual([1, 2]);
  });

  it("holds at most `concurrency` messages, and releases the held ones when the grace runs out", async () => {
    const held = gate();
    let started = 0;
    const p = poller(
      async (lease) => {
        started++;
        await held.promise;
        if (!lease.signal.aborted) await lease.delete();
      },
      { concurrency: 2, visibilityTimeoutSeconds: 30 },
    );
    await send(3);
    await waitFor(() => p.inFlight === 2, 10_000, "two messages held");
    await sleep(1500);
    expect(started).toBe(2);
    expect(await counts()).toEqual({ visible: 1, inFlight: 2 });
    await p.stop({ graceMs: 200 });
    expect(p.state).toBe("stopped");
    held.open();
    // both held messages were made visible again at once, not left for 30 s
    await waitFor(async () => (await counts()).visible === 3, 5000, "the released messages");
  });
});
