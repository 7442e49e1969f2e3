/**
 * The service's own HTTP surface, for the orchestrator and Prometheus only (jobs arrive
 * through SQS): GET /healthz and GET /metrics.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { METRICS_CONTENT_TYPE, type ServiceMetrics } from "./metrics.ts";

export interface Health {
  /** true when the model is loaded and the poller is taking jobs */
  ok: boolean;
  /** consumer state: idle, running, draining or stopped */
  state: string;
  [field: string]: unknown;
}

export interface HttpServer {
  server: Server;
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

/** Listen on host:port (port 0 picks a free one). */
export async function startHttpServer(options: {
  host: string;
  port: number;
  metrics: ServiceMetrics;
  health: () => Health;
}): Promise<HttpServer> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      const health = options.health();
      // 503 takes a draining task out of the load balancer and fails the container check.
      response.writeHead(health.ok ? 200 : 503, {
        "content-type": "application/json",
        "cache-control": "no-store",
      });
      response.end(JSON.stringify(health));
      return;
    }
    if (path === "/metrics") {
      options.metrics.render().then(
        (text) => {
          response.writeHead(200, { "content-type": METRICS_CONTENT_TYPE, "cache-control": "no-store" });
          response.end(text);
        },
        (error: unknown) => {
          response.writeHead(500, { "content-type": "text/plain" });
          response.end(String(error));
        },
      );
      return;
    }
    response.writeHead(404, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: { code: "not_found", message: `no route ${path}` } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
