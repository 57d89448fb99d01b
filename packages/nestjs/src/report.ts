import { Logger } from "@nestjs/common";
import type { ErrorContext } from "@gemini-webhooks/core";

/** Internal token: the `onError` the guard and the controller report to. */
export const GEMINI_WEBHOOKS_REPORT = "GEMINI_WEBHOOKS_REPORT";
export type Report = (error: unknown, ctx: ErrorContext) => void;

const logger = new Logger("GeminiWebhooks");

/** The default `onError` in a Nest app: the app's logger (handler failures and misconfiguration as errors). */
export function logError(error: unknown, ctx: ErrorContext): void {
  const message = error instanceof Error ? error.message : String(error);
  const where = ctx.webhookId ? ` (${ctx.event?.type ?? "event"} ${ctx.webhookId})` : "";
  if (ctx.stage === "handler") logger.error(`A webhook handler failed${where}: ${message}`, error instanceof Error ? error.stack : undefined);
  else if (ctx.stage !== "verify" || ctx.code === "configuration") logger.error(`[${ctx.stage}]${where} ${message}`);
  else logger.debug(`Rejected a delivery (${ctx.code}): ${message}`);
}

/** Wraps `onError` so that one which throws cannot change an answer. */
export function reporter(onError: Report | undefined): Report {
  const fn = onError ?? logError;
  return (error, ctx) => {
    try {
      fn(error, ctx);
    } catch {
      /* ignored, as core does */
    }
  };
}
