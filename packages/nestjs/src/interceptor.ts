import { HttpException, type CallHandler, type ExecutionContext, type NestInterceptor } from "@nestjs/common";
import { errorResponse } from "@gemini-webhooks/core";
import { catchError, mergeMap, type Observable } from "rxjs";
import { toHttpException } from "./guard.js";
import { deliveryOf } from "./state.js";

const RECEIVED = { status: "received" } as const;

/**
 * Put on every route guarded by GeminiWebhookGuard (the module does it at startup): when the method
 * resolves, the claim is completed and an `undefined` result becomes `{"status":"received"}`; when it
 * throws, the claim is released (Gemini's retry runs it again) and the answer is 500 `handler_failed`
 * (an HttpException the method threw itself is kept).
 */
export class GeminiWebhookInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const delivery = deliveryOf(context.switchToHttp().getRequest());
    if (!delivery) return next.handle();
    const { event, ctx } = delivery;
    return next.handle().pipe(
      mergeMap(async (value: unknown) => {
        await delivery.settle("complete");
        return value === undefined ? { ...RECEIVED } : value;
      }),
      catchError(async (e: unknown) => {
        await delivery.settle("release");
        if (e instanceof HttpException) throw e;
        delivery.report(e, { stage: "handler", webhookId: ctx.webhookId, event, code: "handler_failed" });
        throw toHttpException(
          errorResponse("handler_failed", `A handler for ${event.type} failed; the delivery was not marked processed, so Gemini's retry will run it again.`),
        );
      }),
    );
  }
}

/** The one instance the module attaches to guarded routes (it holds no state). */
export const geminiWebhookInterceptor = new GeminiWebhookInterceptor();
