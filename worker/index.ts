/**
 * The edge tier: one Hono app. Each feature lives in its own folder with its test;
 * this file only assembles them and exports the Worker's three entry points.
 */
import { Hono } from "hono";
import { demoKey } from "./admin/demo-key.ts";
import { admin } from "./admin/routes.ts";
import { notFound, onError } from "./errors/index.ts";
import { health } from "./health/route.ts";
import { internal } from "./internal/routes.ts";
import { purgeExpired } from "./jobs/retention.ts";
import { jobs } from "./jobs/routes.ts";
import { sweep } from "./jobs/service.ts";
import { openapi } from "./openapi/routes.ts";
import { preview } from "./preview/route.ts";
import type { AppEnv } from "./types.ts";
import { handleWebhookBatch } from "./webhooks/consumer.ts";
import type { WebhookTask } from "./webhooks/enqueue.ts";

const app = new Hono<AppEnv>();

app.onError(onError);
app.notFound(notFound);
app.route("/v1", health);
app.route("/v1/preview", preview);
app.route("/v1/jobs", jobs);
app.route("/v1/admin", admin);
app.route("/v1/demo", demoKey);
app.route("/internal", internal);
app.route("/", openapi);

export default {
  fetch: app.fetch,
  queue: (batch, env) => handleWebhookBatch(batch as MessageBatch<WebhookTask>, env),
  scheduled: async (_controller, env, ctx) => {
    ctx.waitUntil(Promise.all([sweep(env), purgeExpired(env)]));
  },
} satisfies ExportedHandler<Env, WebhookTask>;
