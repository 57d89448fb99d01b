import { HttpException, type CallHandler, type ExecutionContext, type NestInterceptor } from "@nestjs/common";
import { catchError, mergeMap, type Observable } from "rxjs";
import { toHttpException } from "./guard.js";
import { deliveryOf } from "./state.js";

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
    return next.handle().pipe(
      mergeMap(async (value: unknown) => {
        const answer = await delivery.complete();
        return value === undefined ? answer.body : value;
      }),
      catchError(async (e: unknown) => {
        const answer = await delivery.fail(e);
        throw e instanceof HttpException ? e : toHttpException(answer);
      }),
    );
  }
}

/** The one instance the module attaches to guarded routes (it holds no state). */
export const geminiWebhookInterceptor = new GeminiWebhookInterceptor();
