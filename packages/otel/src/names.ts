/** Span, attribute and metric names: one table, used by the hooks and by the tests. */
export const SPAN_DELIVERY = "gemini.webhook";
export const SPAN_HANDLER = "gemini.webhook.handler";

export const ATTR = {
  id: "gemini.webhook.id",
  eventType: "gemini.webhook.event_type",
  scheme: "gemini.webhook.scheme",
  /** The answer's status word (`received`, `duplicate`, `ignored`) or error code. */
  outcome: "gemini.webhook.outcome",
  secretIndex: "gemini.webhook.secret_index",
  handlerName: "gemini.webhook.handler.name",
  handlerIndex: "gemini.webhook.handler.index",
  /** A handler run's outcome in the duration histogram: `ok` or `error`. */
  handlerOutcome: "gemini.webhook.handler.outcome",
} as const;

export const METRIC_DELIVERIES = "gemini.webhook.deliveries";
export const METRIC_HANDLER_DURATION = "gemini.webhook.handler.duration";

export const INSTRUMENTATION_NAME = "@gemini-webhooks/otel";
