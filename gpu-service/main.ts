/**
 * `node gpu-service/main.ts`: the GPU service process (the container's entrypoint).
 * Reads the environment, starts the service, and on SIGTERM (ECS stopping the task) or
 * SIGINT drains within SHUTDOWN_GRACE_SECONDS and exits 0.
 */
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { createLogger, describeError } from "./log.ts";
import { type Service, startService } from "./service.ts";

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  createLogger("error").error("invalid configuration", { problems: error.problems });
  process.exit(2);
}

const log = createLogger(config.logLevel);
let service: Service | undefined;
let signals = 0;

function shutdown(signal: NodeJS.Signals): void {
  signals++;
  if (signals > 1) {
    log.warn("second signal: exiting now", { signal });
    process.exit(1);
  }
  if (!service) {
    // Still loading the model: no job is held yet, so there is nothing to drain.
    log.info("stopped before start", { signal });
    process.exit(0);
  }
  log.info("shutting down", { signal, grace_s: config.shutdownGraceSeconds });
  service.stop().then(
    () => {
      log.info("stopped");
      process.exit(0);
    },
    (error) => {
      log.error("shutdown failed", { error: describeError(error) });
      process.exit(1);
    },
  );
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

try {
  service = await startService(config, { log });
} catch (error) {
  log.error("start failed", { error: describeError(error) });
  process.exit(1);
}
