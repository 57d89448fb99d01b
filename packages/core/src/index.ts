export { createGeminiWebhooks, isGeminiWebhooks, resolveWebhooks, toResponse, errorResponse, type GeminiWebhooks, type ClaimedDelivery, type Begun } from "./create.js";
export {
  GEMINI_EVENT_CATALOG,
  GEMINI_EVENT_TYPES,
  isKnownEventType,
  type GeminiEventType,
  type GeminiEventData,
  type GeminiEventOf,
  type GeminiWebhookEvent,
  type AnyGeminiEvent,
  type UnknownGeminiEvent,
  type UserMetadata,
  type BatchSucceededEvent,
  type BatchCompletedEvent,
  type BatchCancelledEvent,
  type BatchExpiredEvent,
  type BatchFailedEvent,
  type InteractionRequiresActionEvent,
  type InteractionCompletedEvent,
  type InteractionFailedEvent,
  type InteractionCancelledEvent,
  type VideoGeneratedEvent,
} from "./events.js";
export {
  ERROR_CODES,
  ERROR_STATUS,
  WebhookVerificationError,
  GeminiWebhooksConfigError,
  isWebhookVerificationError,
  type WebhookErrorCode,
  type SignatureScheme,
} from "./errors.js";
export { readWebhookHeaders, type HeadersInput, type WebhookHeaders } from "./headers.js";
export { parseSignatureHeader, type ParsedSignatureHeader } from "./signature-header.js";
export {
  memoryStore,
  DEFAULT_DONE_TTL_MS,
  DEFAULT_LEASE_MS,
  type IdempotencyStore,
  type ClaimResult,
  type MemoryStore,
  type MemoryStoreOptions,
} from "./store.js";
export { readLimited, concatChunks } from "./read-limited.js";
export { toBytes } from "./body.js";
export { _setCryptoBackend } from "./crypto.js";
export type {
  WebhookContext,
  WebhookHandler,
  HandlerMap,
  ErrorContext,
  JwksOptions,
  WebhookQueue,
  GeminiWebhooksOptions,
  WebhookRequest,
  WebhookResponseBody,
  HandleResult,
  VerifiedDelivery,
} from "./types.js";
/** Google's JWKS, the default `jwks.uri`. */
export { DEFAULT_JWKS_URI as GOOGLE_JWKS_URI } from "./dynamic/options.js";
