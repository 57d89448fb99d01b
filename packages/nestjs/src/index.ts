export {
  GeminiWebhooksModule,
  DEFAULT_PATH,
  type GeminiWebhooksModuleOptions,
  type GeminiWebhooksModuleAsyncOptions,
  type GeminiWebhooksModuleExtras,
} from "./module.js";
export { GeminiWebhookGuard, toHttpException } from "./guard.js";
export { GeminiWebhookInterceptor } from "./interceptor.js";
export { GeminiEvent, GeminiWebhookContext, GeminiContext, OnGeminiEvent, type GeminiEventFor, type GeminiEventSelector } from "./decorators.js";
export { nestLogger } from "./report.js";
export { GEMINI_WEBHOOKS, InjectGeminiWebhooks } from "./tokens.js";

// The same core names from every adapter: a user needs only the adapter's package for a typical app.
export { createGeminiWebhooks, isEventType, memoryStore, WebhookVerificationError } from "@gemini-webhooks/core";
export type {
  AnyGeminiEvent,
  BatchCancelledEvent,
  BatchCompletedEvent,
  BatchExpiredEvent,
  BatchFailedEvent,
  BatchSucceededEvent,
  GeminiEventOf,
  GeminiWebhookEvent,
  GeminiWebhooks,
  GeminiWebhooksOptions,
  HandleResult,
  InteractionCancelledEvent,
  InteractionCompletedEvent,
  InteractionFailedEvent,
  InteractionRequiresActionEvent,
  VideoGeneratedEvent,
  WebhookContext,
  WebhookErrorCode,
} from "@gemini-webhooks/core";
