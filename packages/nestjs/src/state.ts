import type { AnyGeminiEvent, ErrorContext, IdempotencyStore, WebhookContext } from "@gemini-webhooks/core";

/** What the guard leaves on the request for the interceptor and the parameter decorators. */
export interface DeliveryState {
  event: AnyGeminiEvent;
  ctx: WebhookContext;
  /** Completes (method succeeded) or releases (it failed) the claim, once. */
  settle(how: "complete" | "release"): Promise<void>;
  report(error: unknown, ctx: ErrorContext): void;
}

const STATE = Symbol.for("gemini-webhooks.nestjs.delivery");

export function setDelivery(req: object, state: DeliveryState): void {
  (req as Record<symbol, unknown>)[STATE] = state;
}

export function deliveryOf(req: unknown): DeliveryState | undefined {
  return req && typeof req === "object" ? ((req as Record<symbol, DeliveryState | undefined>)[STATE] ?? undefined) : undefined;
}

/** A settle() that runs once, reporting (never throwing) a store failure. */
export function settler(store: IdempotencyStore | undefined, key: string, report: DeliveryState["report"], meta: ErrorContext): DeliveryState["settle"] {
  let done = false;
  return async (how) => {
    if (done || !store) return;
    done = true;
    try {
      await store[how](key);
    } catch (e) {
      report(e, { ...meta, stage: "complete" });
    }
  };
}
