// @gemini-webhooks/core/extend: what stores, queues, workers and telemetry plug into (not needed to receive webhooks).
export type { Begun } from "./pipeline/pipeline.js";
export type { ClaimedDelivery, FailOptions } from "./pipeline/claim.js";
export type { WebhookQueue, WebhookHooks, DeliveryObserver, HandlerRunInfo, ErrorContext } from "./receiver/types.js";
export { DEFAULT_DONE_TTL_MS, DEFAULT_LEASE_MS, deadLetterLimit, isDeadLetterStore, type IdempotencyStore, type ClaimResult, type DeadLetter, type DeadLetterInput, type DeadLetterStore } from "./stores/contracts.js";
export { ClaimTokens } from "./stores/claim-tokens.js";
export { canonicalEventType, deliveryKey, eventKey, jobIdOf, jwtKey, normalizeJobId, processKey } from "./pipeline/keys.js";
export { settingsOf, type ReceiverSettings } from "./adapter/settings.js";
export { isGeminiWebhooks } from "./receiver/create.js";
export { serializeContext, deserializeContext, type SerializedContext, type GeminiJobData } from "./pipeline/serialized.js";
