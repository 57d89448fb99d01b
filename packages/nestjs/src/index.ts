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
export { GeminiWebhooksExplorer } from "./explorer.js";
export { createWebhookController } from "./controller.js";
export { rawBodyOf } from "./raw-body.js";
export { nestLogger } from "./report.js";
export { GEMINI_WEBHOOKS, GEMINI_WEBHOOKS_OPTIONS, ON_GEMINI_EVENT, InjectGeminiWebhooks } from "./tokens.js";
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
  InteractionCancelledEvent,
  InteractionCompletedEvent,
  InteractionFailedEvent,
  InteractionRequiresActionEvent,
  VideoGeneratedEvent,
  WebhookContext,
} from "@gemini-webhooks/core";
