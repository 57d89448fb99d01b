import { HttpException, Inject, Injectable, Optional, type CanActivate, type ExecutionContext } from "@nestjs/common";
import { HttpAdapterHost } from "@nestjs/core";
import { errorResponse, WebhookVerificationError, type GeminiWebhooks, type HandleResult, type VerifiedDelivery } from "@gemini-webhooks/core";
import { rawBodyMissing, rawBodyOf, type NestRequestLike } from "./raw-body.js";
import { GEMINI_WEBHOOKS_REPORT, reporter, type Report } from "./report.js";
import { setDelivery, settler } from "./state.js";
import { GEMINI_WEBHOOKS } from "./tokens.js";

/** core's error answer as an HttpException: the status and exactly core's `{ error: { code, message } }`. */
export function toHttpException(result: HandleResult<any>): HttpException {
  return new HttpException(result.body, result.status, result.error ? { cause: result.error } : undefined);
}

/**
 * `@Post() @UseGuards(GeminiWebhookGuard)`: verifies the delivery from `req.rawBody` (create the app with
 * `{ rawBody: true }`) and claims its id. A bad delivery is answered with core's status and JSON body; a
 * duplicate with 200 `{"status":"duplicate"}` without running the method. The method's outcome completes
 * (or, when it throws, releases) the claim; `@GeminiEvent()` gives the method the verified event.
 */
@Injectable()
export class GeminiWebhookGuard implements CanActivate {
  private readonly report: Report;

  constructor(
    @Inject(GEMINI_WEBHOOKS) private readonly webhooks: GeminiWebhooks<any>,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(GEMINI_WEBHOOKS_REPORT) report?: Report,
  ) {
    this.report = report ?? reporter(undefined);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<NestRequestLike>();
    const res = http.getResponse<object>();
    const method = String(req.method ?? "POST").toUpperCase();
    if (method !== "POST") {
      this.adapterHost.httpAdapter?.setHeader(res, "allow", "POST");
      throw toHttpException(errorResponse("method_not_allowed", `${method} is not allowed here; Gemini delivers webhooks with POST.`));
    }
    const body = rawBodyOf(req);
    if (body === undefined) {
      const result = rawBodyMissing(req);
      this.report(result.error, { stage: "verify", code: "configuration" });
      throw toHttpException(result);
    }

    let verified: VerifiedDelivery<any>;
    try {
      verified = await this.webhooks.verifyDelivery({ body, headers: req.headers });
    } catch (e) {
      const err = e instanceof WebhookVerificationError ? e : new WebhookVerificationError("configuration", "Unexpected error while verifying the delivery.", { cause: e });
      this.report(err, { stage: "verify", code: err.code });
      throw toHttpException(this.webhooks.errorResult(err));
    }

    const { event, ctx } = verified;
    const meta = { stage: "store" as const, webhookId: ctx.webhookId, event };
    const store = this.webhooks.store;
    if (store) {
      let claimed;
      try {
        claimed = await store.claim(ctx.idempotencyKey);
      } catch (e) {
        this.report(e, { ...meta, code: "store_unavailable" });
        throw toHttpException(errorResponse("store_unavailable", "The idempotency store is unreachable; the delivery was not processed and will be retried."));
      }
      if (claimed === "done") throw new HttpException({ status: "duplicate" }, 200);
      if (claimed === "in_progress") throw toHttpException(errorResponse("in_progress", `Delivery ${ctx.webhookId} is being processed right now; retry later.`));
    }

    const settle = settler(store, ctx.idempotencyKey, this.report, meta);
    setDelivery(req, { event, ctx, settle, report: this.report });
    // Normally the interceptor settles when the method resolves or throws. Should something else end the
    // request first (another interceptor threw, the client went away), settle from the response's outcome.
    const raw = ((res as { raw?: unknown }).raw ?? res) as { once?: (e: string, f: () => void) => void; statusCode?: number; writableFinished?: boolean };
    raw.once?.("close", () => void settle(raw.writableFinished && (raw.statusCode ?? 500) < 400 ? "complete" : "release"));
    return true;
  }
}
