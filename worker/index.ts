/**
 * The edge tier: one Hono app. Each feature lives in its own folder with its test;
 * this file only assembles them.
 */
import { Hono } from "hono";
import { notFound, onError } from "./errors/index.ts";
import { health } from "./health/route.ts";
import { preview } from "./preview/route.ts";

const app = new Hono<{ Bindings: Env }>();

app.onError(onError);
app.notFound(notFound);
app.route("/v1", health);
app.route("/v1/preview", preview);

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
