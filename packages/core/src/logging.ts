import { WebhookVerificationError } from "./errors.js";
import type { ErrorContext, GeminiWebhooksOptions, WebhookLogger } from "./receiver/types.js";

/** The receiver's reporting: log at the level the outcome deserves, then the `onError` hook; neither can change an answer. */
export interface Reporter {
  readonly logger: WebhookLogger;
  report(error: unknown, ctx: ErrorContext): void;
}

const noop = () => undefined;

/** console at level `warn`: debug and info are dropped. */
export const consoleLogger: WebhookLogger = {
  debug: noop,
  info: noop,
  warn: (message, ...rest) => console.warn(message, ...rest),
  error: (message, ...rest) => console.error(message, ...rest),
};

const silent: WebhookLogger = { debug: noop, info: noop, warn: noop, error: noop };

/** One warning per scheme per process for deliveries in a scheme the receiver is not configured for. */
const warnedSchemes = new Set<string>();

/** A logger whose methods never throw (a throwing logger must not change an answer). */
function safe(logger: WebhookLogger): WebhookLogger {
  const wrap =
    (level: keyof WebhookLogger) =>
    (message: string, ...rest: unknown[]) => {
      try {
        logger[level](message, ...rest);
      } catch {
        /* ignored */
      }
    };
  return { debug: wrap("debug"), info: wrap("info"), warn: wrap("warn"), error: wrap("error") };
}

export function resolveLogger(option: GeminiWebhooksOptions["logger"]): WebhookLogger {
  if (option === false) return silent;
  return safe(option ?? consoleLogger);
}

function describe(ctx: ErrorContext): string {
  const parts = [ctx.event?.type, ctx.webhookId].filter((p): p is string => typeof p === "string");
  return parts.length ? ` (${parts.join(" ")})` : "";
}

const PREFIX = "[gemini-webhooks]";

export function createReporter(logger: WebhookLogger, onError: GeminiWebhooksOptions["onError"]): Reporter {
  function log(error: unknown, ctx: ErrorContext): void {
    const code = ctx.code ?? (error instanceof WebhookVerificationError ? error.code : undefined);
    const message = error instanceof Error ? error.message : String(error);
    const where = describe(ctx);
    if (ctx.stage === "handler") {
      // one entry, the stack once: in the message (the details object carries no error for a logger to print again)
      const cause = error instanceof WebhookVerificationError && error.cause !== undefined ? error.cause : error;
      const stack = cause instanceof Error && cause.stack ? cause.stack : String(cause);
      logger.error(`${PREFIX} a handler failed${where}; the delivery will be retried: ${stack}`, { webhookId: ctx.webhookId, eventType: ctx.event?.type });
    } else if (code === "configuration") {
      const cause = error instanceof Error && error.cause instanceof Error ? `\n${error.cause.stack ?? error.cause.message}` : "";
      logger.error(`${PREFIX} configuration${where}: ${message}${cause}`, { code });
    } else if (code === "keys_unavailable" || code === "store_unavailable" || ctx.stage === "complete" || ctx.stage === "hook" || ctx.stage === "dead_letters") {
      logger.warn(`${PREFIX} ${code ?? ctx.stage}${where}: ${message}`, { code, stage: ctx.stage });
    } else if (error instanceof WebhookVerificationError && error.unconfigured && !warnedSchemes.has(error.scheme ?? "")) {
      warnedSchemes.add(error.scheme ?? "");
      logger.warn(`${PREFIX} ${message} (logged once per scheme)`, { code });
    } else {
      logger.debug(`${PREFIX} rejected a delivery${where}: ${code ?? "error"}: ${message}`, { code, stage: ctx.stage });
    }
  }
  return {
    logger,
    report(error, ctx) {
      log(error, ctx);
      if (!onError) return;
      try {
        onError(error, ctx);
      } catch {
        /* an onError that throws must not change the answer */
      }
    },
  };
}
