import { context, metrics, SpanKind, SpanStatusCode, trace, type Attributes, type Meter, type Span, type Tracer } from "@opentelemetry/api";
import type { DeliveryObserver, HandleResult, WebhookHooks } from "@gemini-webhooks/core";
import { ATTR, INSTRUMENTATION_NAME, METRIC_DELIVERIES, METRIC_HANDLER_DURATION, SPAN_DELIVERY, SPAN_HANDLER } from "./names.js";

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === "string" ? __VERSION__ : undefined;

export interface GeminiTelemetryOptions {
  /** Default: `trace.getTracer("@gemini-webhooks/otel")` from the global tracer provider. */
  tracer?: Tracer;
  /** Default: `metrics.getMeter("@gemini-webhooks/otel")` from the global meter provider. */
  meter?: Meter;
}

/** The answer in one word: its status (`received`, `duplicate`, `ignored`) or its error code. */
export function outcomeOf(result: HandleResult<any>): string {
  const body = result.body as { status?: string; error?: { code?: string } };
  return body.status ?? body.error?.code ?? String(result.status);
}

function errorOf(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * OpenTelemetry for gemini-webhooks, as lifecycle hooks: pass the result as `hooks` to createGeminiWebhooks
 * (or any adapter). Per delivery (HTTP, process() or a dead-letter replay):
 *
 * - a span `gemini.webhook <event type>` (`gemini.webhook` when rejected before the type is known) with
 *   `gemini.webhook.id`, `.event_type`, `.scheme`, `.secret_index` and `.outcome`; status ERROR on a 5xx
 *   answer (a 4xx is the sender's problem, not the receiver's);
 * - a child span `gemini.webhook.handler` per handler run, active while the handler runs, so the spans
 *   a handler starts nest under it;
 * - the counter `gemini.webhook.deliveries` by outcome, scheme and event type, and the histogram
 *   `gemini.webhook.handler.duration` (ms) by event type, handler and outcome.
 *
 * No attribute ever holds the payload (only the id, type, scheme, key index and outcome).
 */
export function geminiTelemetry(options: GeminiTelemetryOptions = {}): WebhookHooks {
  const tracer = options.tracer ?? trace.getTracer(INSTRUMENTATION_NAME, VERSION);
  const meter = options.meter ?? metrics.getMeter(INSTRUMENTATION_NAME, VERSION);
  const deliveries = meter.createCounter(METRIC_DELIVERIES, { description: "Webhook deliveries received, by outcome.", unit: "{delivery}" });
  const handlerDuration = meter.createHistogram(METRIC_HANDLER_DURATION, { description: "Duration of one handler run.", unit: "ms" });

  return {
    onDelivery(): DeliveryObserver {
      // the caller's context (e.g. the HTTP server span) is the parent
      const span: Span = tracer.startSpan(SPAN_DELIVERY, { kind: SpanKind.INTERNAL });
      const parent = trace.setSpan(context.active(), span);
      const labels: Attributes = {};
      return {
        verified(event, ctx) {
          span.updateName(`${SPAN_DELIVERY} ${event.type}`);
          labels[ATTR.eventType] = event.type;
          labels[ATTR.scheme] = ctx.scheme;
          span.setAttributes({
            [ATTR.id]: ctx.webhookId,
            [ATTR.eventType]: event.type,
            [ATTR.scheme]: ctx.scheme,
            ...(ctx.secretIndex !== undefined ? { [ATTR.secretIndex]: ctx.secretIndex } : {}),
          });
        },
        handler(info, run) {
          const attributes = { [ATTR.id]: info.ctx.webhookId, [ATTR.eventType]: info.event.type, [ATTR.handlerName]: info.name, [ATTR.handlerIndex]: info.index };
          return tracer.startActiveSpan(SPAN_HANDLER, { kind: SpanKind.INTERNAL, attributes }, parent, async (child) => {
            const started = performance.now();
            let outcome = "ok";
            try {
              return await run();
            } catch (e) {
              outcome = "error";
              child.recordException(errorOf(e));
              child.setStatus({ code: SpanStatusCode.ERROR, message: errorOf(e).name });
              throw e;
            } finally {
              child.end();
              handlerDuration.record(performance.now() - started, { [ATTR.eventType]: info.event.type, [ATTR.handlerName]: info.name, [ATTR.handlerOutcome]: outcome });
            }
          });
        },
        end(result) {
          const outcome = outcomeOf(result);
          span.setAttribute(ATTR.outcome, outcome);
          if (labels[ATTR.scheme] === undefined && result.error?.scheme) {
            labels[ATTR.scheme] = result.error.scheme;
            span.setAttribute(ATTR.scheme, result.error.scheme);
          }
          if (result.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
          span.end();
          deliveries.add(1, { [ATTR.outcome]: outcome, ...labels });
        },
      };
    },
  };
}
