export { geminiTelemetry, outcomeOf, type GeminiTelemetryOptions } from "./telemetry.js";
export { ATTR, METRIC_DELIVERIES, METRIC_HANDLER_DURATION, SPAN_DELIVERY, SPAN_HANDLER, INSTRUMENTATION_NAME } from "./names.js";
