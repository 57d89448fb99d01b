import { Inject } from "@nestjs/common";

/** Injection token of the module's receiver (what `createGeminiWebhooks` returns). */
export const GEMINI_WEBHOOKS = "GEMINI_WEBHOOKS";
/** Injection token of the options given to `forRoot` / returned by `forRootAsync`'s factory. */
export const GEMINI_WEBHOOKS_OPTIONS = "GEMINI_WEBHOOKS_OPTIONS";
/** Metadata key of `@OnGeminiEvent()`: the event types a method handles. */
export const ON_GEMINI_EVENT = "gemini-webhooks:on-event";

/** `constructor(@InjectGeminiWebhooks() webhooks: GeminiWebhooks)`: the module's receiver. */
export const InjectGeminiWebhooks = (): PropertyDecorator & ParameterDecorator => Inject(GEMINI_WEBHOOKS);
