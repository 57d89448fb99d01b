import { Logger } from "@nestjs/common";
import type { WebhookLogger } from "@gemini-webhooks/core";

/** Nest's Logger in the shape core logs to: the app's logger, the default `logger` of the module's receiver. */
export function nestLogger(context = "GeminiWebhooks"): WebhookLogger {
  const logger = new Logger(context);
  return {
    debug: (message) => logger.debug(message),
    info: (message) => logger.log(message),
    warn: (message) => logger.warn(message),
    error: (message) => logger.error(message),
  };
}
