// @gemini-webhooks/core: what users call. Adapter plumbing is on @gemini-webhooks/core/adapter (any runtime) and
// @gemini-webhooks/core/node (Node streams); what stores, queues and telemetry plug into is on @gemini-webhooks/core/extend.
export { createGeminiWebhooks, type GeminiWebhooks } from "./receiver/create.js";
export {
  GEMINI_EVENT_CATALOG,
  GEMINI_EVENT_TYPES,
  isKnownEventType,
  isEventType,
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
export { DEFAULT_DONE_TTL_MS, DEFAULT_LEASE_MS, type IdempotencyStore, type ClaimResult, type DeadLetter, type DeadLetterInput, type DeadLetterStore } from "./stores/contracts.js";
export { memoryStore, type MemoryStore, type MemoryStoreOptions } from "./stores/memory.js";
export { memoryDeadLetters, type MemoryDeadLettersOptions } from "./stores/memory-dead-letters.js";
export type { DeadLetterDesk } from "./pipeline/dead-letter-desk.js";
export { consoleLogger } from "./logging.js";
export { nodeCryptoProvider, webCryptoProvider, type CryptoProvider, type HmacSigner, type Ed25519Verifier } from "./lib/crypto.js";
export { decodeSecret } from "./verify/secret.js";
export type { HeadersInput } from "./verify/headers.js";
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
  ProcessContext,
  WebhookLogger,
  WebhookHooks,
  DeliveryObserver,
  HandlerRunInfo,
} from "./receiver/types.js";
/** Google's JWKS, the default `jwks.uri`. */
export { DEFAULT_JWKS_URI as GOOGLE_JWKS_URI } from "./verify/jwks-options.js";
