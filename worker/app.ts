/**
 * The edge tier's HTTP app. Each feature lives in its own folder with its test and declares
 * its routes; this file mounts them, and the OpenAPI document is generated from what it mounts.
 */
import { demoKey } from "./admin/demo-key.ts";
import { admin } from "./admin/routes.ts";
import { batches } from "./batches/routes.ts";
import { notFound, onError } from "./errors/index.ts";
import { health } from "./health/route.ts";
import { internal } from "./internal/routes.ts";
import { jobs } from "./jobs/routes.ts";
import { createApp } from "./openapi/app.ts";
import { serveDocs } from "./openapi/routes.ts";
import { preview } from "./preview/route.ts";

export const app = createApp();

app.onError(onError);
app.notFound(notFound);
app.route("/v1", health);
app.route("/v1/preview", preview);
app.route("/v1/jobs", jobs);
app.route("/v1/batches", batches);
app.route("/v1/admin", admin);
app.route("/v1/demo", demoKey);
app.route("/internal", internal);
serveDocs(app);
