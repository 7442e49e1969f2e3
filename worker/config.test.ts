import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { callbackSecret, DEV_PUBLIC_BASE_URL, isDevelopment, publicOrigin } from "./config.ts";
import { ApiError } from "./errors/index.ts";

const production = (PUBLIC_BASE_URL: string): Env => ({ ...env, ENVIRONMENT: "production", PUBLIC_BASE_URL });

describe("deployment settings", () => {
  it("takes CALLBACK_SECRET only as a Standard Webhooks secret, else answers 503 misconfigured", () => {
    expect(callbackSecret(env)).toBe(env.CALLBACK_SECRET);
    let error: unknown;
    try {
      callbackSecret({ ...env, CALLBACK_SECRET: "not-base64!" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
  });

  it("is production unless ENVIRONMENT says development exactly", () => {
    expect(isDevelopment({ ...env, ENVIRONMENT: "development" })).toBe(true);
    for (const value of ["production", "", "Development", "dev"])
      expect(isDevelopment({ ...env, ENVIRONMENT: value })).toBe(false);
  });

  it("takes the public origin from PUBLIC_BASE_URL, required and https in production", () => {
    expect(publicOrigin(production("https://fcn.example.com"))).toBe("https://fcn.example.com");
    expect(publicOrigin(production("https://fcn.example.com/"))).toBe("https://fcn.example.com");
    for (const bad of ["", "http://fcn.example.com", "https://fcn.example.com/api", "not a url"]) {
      let thrown: unknown;
      try {
        publicOrigin(production(bad));
      } catch (error) {
        thrown = error;
      }
      expect(thrown, bad).toBeInstanceOf(ApiError);
      expect([(thrown as ApiError).status, (thrown as ApiError).code]).toEqual([503, "misconfigured"]);
    }
  });

  it("falls back to the local dev origin in development only", () => {
    expect(publicOrigin({ ...env, ENVIRONMENT: "development", PUBLIC_BASE_URL: "" })).toBe(
      DEV_PUBLIC_BASE_URL,
    );
    expect(
      publicOrigin({ ...env, ENVIRONMENT: "development", PUBLIC_BASE_URL: "http://127.0.0.1:9000" }),
    ).toBe("http://127.0.0.1:9000");
  });
});
