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

// Every adapter re-exports core whole: a typical app imports from the adapter package only.
export * from "@gemini-webhooks/core";
