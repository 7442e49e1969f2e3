/** The edge tier: the Worker's three entry points (the HTTP app is assembled in app.ts). */
import { app } from "./app.ts";
import { purgeExpired } from "./jobs/retention.ts";
import { sweep } from "./jobs/service.ts";
import { handleWebhookBatch } from "./webhooks/consumer.ts";
import type { QueuedWebhook } from "./webhooks/enqueue.ts";

export default {
  fetch: app.fetch,
  queue: (batch, env) => handleWebhookBatch(batch as MessageBatch<QueuedWebhook>, env),
  scheduled: async (_controller, env, ctx) => {
    ctx.waitUntil(Promise.all([sweep(env), purgeExpired(env)]));
  },
} satisfies ExportedHandler<Env, QueuedWebhook>;
