import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("GET /v1/health answers ok", async () => {
  const response = await exports.default.fetch("http://edge.test/v1/health");
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ status: "ok" });
});

it("GET /v1/models lists the edge model and the GPU tier's, with what each trained on and its scores", async () => {
  const body = (await (await exports.default.fetch("http://edge.test/v1/models")).json()) as {
    models: Record<string, unknown>[];
  };
  // Both trained on every labelled frame: their scores are their recipes' held-out-drive twins'.
  const twinScores = {
    trained_on: "train+val",
    val: { mean_iu: expect.any(Number) },
    held_out_drive: { drive: "0006R0", mean_iu: expect.any(Number), pixel_accuracy: expect.any(Number) },
  };
  expect(body.models[0]).toMatchObject({
    role: "preview",
    variant: "fcn32s",
    bytes: expect.any(Number),
    resolution: { width: 320, height: 240 },
    ...twinScores,
  });
  expect(body.models[0].held_out_drive).toMatchObject({ mean_iu: 0.3505 });
  expect(body.models[1]).toMatchObject({
    role: "jobs",
    variant: "fcn8s",
    resolution: null,
    loaded: null,
    ...twinScores,
  });
});

it("unknown routes answer a JSON 404", async () => {
  const response = await exports.default.fetch("http://edge.test/nope");
  expect(response.status).toBe(404);
  expect(await response.json()).toEqual({ error: { code: "not_found", message: expect.any(String) } });
});
