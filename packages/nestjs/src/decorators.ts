import { createParamDecorator, HttpException, type ExecutionContext } from "@nestjs/common";
import type { AnyGeminiEvent, GeminiEventOf, GeminiEventType, WebhookContext } from "@gemini-webhooks/core";
import { errorResponse } from "@gemini-webhooks/core/adapter";
import { deliveryOf, type DeliveryState } from "./state.js";
import { ON_GEMINI_EVENT } from "./tokens.js";

/** The event type(s) `@OnGeminiEvent` takes: catalog types, or `"*"` for every event (unknown types included). */
export type GeminiEventSelector = GeminiEventType | "*";
/** The event a handler for `T` receives. */
export type GeminiEventFor<T extends GeminiEventSelector> = T extends GeminiEventType ? GeminiEventOf<T> : AnyGeminiEvent;

function fromRequest<K extends "event" | "ctx">(key: K, ctx: ExecutionContext): DeliveryState[K] {
  const delivery = deliveryOf(ctx.switchToHttp().getRequest());
  if (!delivery) {
    const result = errorResponse("configuration", "@GeminiEvent() / @GeminiWebhookContext() need @UseGuards(GeminiWebhookGuard) on the route.");
    throw new HttpException(result.body, result.status);
  }
  return delivery[key];
}

/** Parameter decorator: the verified, typed event (on a route with `@UseGuards(GeminiWebhookGuard)`). */
export const GeminiEvent = createParamDecorator((_data: unknown, ctx: ExecutionContext): AnyGeminiEvent => fromRequest("event", ctx));

/** Parameter decorator: the delivery's context (webhookId, timestamp, scheme, keyId, claims, rawBody…). */
export const GeminiWebhookContext = createParamDecorator((_data: unknown, ctx: ExecutionContext): WebhookContext => fromRequest("ctx", ctx));
/** Shorthand of `@GeminiWebhookContext()`. */
export const GeminiContext = GeminiWebhookContext;

/**
 * Method decorator for any provider (or controller): the method runs for each verified delivery of the
 * given type(s) that reaches the module's controller. `"*"` receives every event. Its parameter is typed:
 * `@OnGeminiEvent("batch.succeeded") onBatch(event: BatchSucceededEvent, ctx: WebhookContext) {}`.
 * A method that throws makes the answer 500 `handler_failed`, so Gemini retries.
 */
export function OnGeminiEvent<T extends GeminiEventSelector>(...types: [T, ...T[]]) {
  return <F extends (event: GeminiEventFor<T>, ctx: WebhookContext) => unknown>(
    _target: object,
    _key: string | symbol,
    descriptor: TypedPropertyDescriptor<F>,
  ): void => {
    const fn = descriptor.value as object;
    const previous: string[] = Reflect.getMetadata(ON_GEMINI_EVENT, fn) ?? [];
    Reflect.defineMetadata(ON_GEMINI_EVENT, [...new Set([...previous, ...types])], fn);
  };
}
