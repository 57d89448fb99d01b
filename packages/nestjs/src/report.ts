import { Logger } from "@nestjs/common";
import type { WebhookLogger } from "@gemini-webhooks/core";

/**
 * Nest's Logger in the shape core logs to: the app's logger, the default `logger` of the module's receiver.
 * Core's debug entries (a rejected delivery: forged, stale, malformed) go nowhere unless `verbose` is set,
 * then to Nest's `verbose` level: Nest prints every level by default, and a forged flood must write nothing.
 */
export function nestLogger(context = "GeminiWebhooks", options: { verbose?: boolean } = {}): WebhookLogger {
  const logger = new Logger(context);
  return {
    debug: options.verbose ? (message) => logger.verbose(message) : () => undefined,
    info: (message) => logger.log(message),
    warn: (message) => logger.warn(message),
    error: (message) => logger.error(message),
  };
}
