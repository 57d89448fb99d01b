import { HttpException, Inject, Injectable, Optional, type CanActivate, type ExecutionContext } from "@nestjs/common";
import { HttpAdapterHost } from "@nestjs/core";
import { errorResponse, type GeminiWebhooks, type HandleResult } from "@gemini-webhooks/core";
import { rawBodyMissing, rawBodyOf, type NestRequestLike } from "./raw-body.js";
import { GEMINI_WEBHOOKS_REPORT, reporter, type Report } from "./report.js";
import { setDelivery } from "./state.js";
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

    // core does verify → claim; a rejected, duplicate or in-progress delivery is answered here, as core answers it.
    const begun = await this.webhooks.begin({ body, headers: req.headers, method });
    if (begun.answer) throw toHttpException(begun.answer);
    const delivery = begun.delivery;
    setDelivery(req, delivery);
    // Normally the interceptor settles when the method resolves or throws. Should something else end the
    // request first (another interceptor threw, the client went away), settle from the response's outcome.
    const raw = ((res as { raw?: unknown }).raw ?? res) as { once?: (e: string, f: () => void) => void; statusCode?: number; writableFinished?: boolean };
    raw.once?.("close", () => {
      if (raw.writableFinished && (raw.statusCode ?? 500) < 400) void delivery.complete();
      else void delivery.fail(new Error(`The request for ${delivery.event.type} ended (status ${raw.statusCode ?? "none"}) before the route completed.`));
    });
    return true;
  }
}
