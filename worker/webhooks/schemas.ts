/**
 * The schemas of the webhooks the API sends (their headers and job payload) and of their
 * delivery records, which GET /v1/jobs/{id}/deliveries and its redelivery answer with.
 */
import { z } from "@hono/zod-openapi";
import { Job, WebhookEvent } from "../jobs/schemas.ts";
import { component, count, timestamp } from "../openapi/schemas.ts";

export const WebhookDelivery = component(
  "WebhookDelivery",
  z.object({
    id: count().describe(
      "this record's id: the `delivery_id` of POST .../deliveries/{delivery_id}/redeliver",
    ),
    webhook_id: z
      .string()
      .describe(
        "the `webhook-id` header, stable across retries and redeliveries: receivers deduplicate on it",
      ),
    event: WebhookEvent,
    attempt: count().describe(
      "1, 2, ...; a redelivery's attempts continue the count; 0 for a `dead_lettered` record",
    ),
    url: z.string(),
    outcome: z
      .enum(["delivered", "failed", "refused", "dead_lettered"])
      .describe(
        "`delivered`: the receiver answered 2xx; `failed`: an error, timeout or non-2xx answer (retried with " +
          "backoff); `refused`: the URL is not allowed (not retried); `dead_lettered`: no attempt but the " +
          "record that every retry failed and the webhook was given up (POST .../redeliver sends it again)",
      ),
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
    duration_ms: count(),
    created_at: timestamp(),
  }),
  "One attempt to deliver a webhook, or (outcome `dead_lettered`) the record that it was given up.",
);

export const WebhookRedelivery = component(
  "WebhookRedelivery",
  z.object({
    object: z.literal("webhook_redelivery"),
    status: z.literal("queued"),
    job_id: z.string(),
    delivery_id: count().describe("the delivery record it repeats"),
    webhook_id: z.string().describe("the same `webhook-id` as before"),
    event: WebhookEvent,
    first_attempt: count().describe("the `attempt` number its first try will be listed with"),
  }),
  "A webhook queued to be sent again; its attempts appear in GET /v1/jobs/{id}/deliveries.",
);

export const WebhookDeliveryList = component(
  "WebhookDeliveryList",
  z.object({ object: z.literal("list"), data: z.array(WebhookDelivery) }),
  "Delivery attempts of a job's webhooks, oldest first.",
);

export const WebhookPayload = component(
  "WebhookPayload",
  z.object({
    type: WebhookEvent,
    timestamp: timestamp(),
    data: Job,
  }),
  "The body of a webhook delivery.",
);

export const WebhookHeaders = z.object({
  "webhook-id": z
    .string()
    .describe("`msg_<job id>_<succeeded|failed>`: stable across retries, to deduplicate"),
  "webhook-timestamp": z.number().int().describe("unix seconds"),
  "webhook-signature": z
    .string()
    .describe(
      '`v1,` + base64 HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the key\'s secret',
    ),
});
