import type { ClaimedDelivery } from "@gemini-webhooks/core/extend";

/** What the guard leaves on the request for the interceptor and the parameter decorators: core's claimed delivery. */
export type DeliveryState = ClaimedDelivery<any>;

const STATE = Symbol.for("gemini-webhooks.nestjs.delivery");

export function setDelivery(req: object, state: DeliveryState): void {
  (req as Record<symbol, unknown>)[STATE] = state;
}

export function deliveryOf(req: unknown): DeliveryState | undefined {
  return req && typeof req === "object" ? ((req as Record<symbol, DeliveryState | undefined>)[STATE] ?? undefined) : undefined;
}
