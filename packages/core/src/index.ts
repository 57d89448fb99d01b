// What users call. Adapter plumbing lives on the subpaths: @gemini-webhooks/core/adapter (any runtime) and
// @gemini-webhooks/core/node (Node streams).
export { createGeminiWebhooks, type GeminiWebhooks, type ClaimedDelivery, type Begun } from "./create.js";
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
export {
  memoryStore,
  DEFAULT_DONE_TTL_MS,
  DEFAULT_LEASE_MS,
  type IdempotencyStore,
  type ClaimResult,
  type MemoryStore,
  type MemoryStoreOptions,
} from "./store.js";
export { memoryDeadLetters, type DeadLetter, type DeadLetterInput, type DeadLetterStore, type MemoryDeadLettersOptions } from "./dead-letters.js";
export type { DeadLetterDesk } from "./dead-letter-desk.js";
export { consoleLogger } from "./logging.js";
export { nodeCryptoProvider, webCryptoProvider, type CryptoProvider, type HmacSigner, type Ed25519Verifier } from "./crypto.js";
export { decodeSecret } from "./secret.js";
export type { HeadersInput } from "./headers.js";
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
} from "./types.js";
/** Google's JWKS, the default `jwks.uri`. */
export { DEFAULT_JWKS_URI as GOOGLE_JWKS_URI } from "./dynamic/options.js";
