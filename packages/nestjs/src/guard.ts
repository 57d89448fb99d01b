import { HttpException, Inject, Injectable, type CanActivate, type ExecutionContext } from "@nestjs/common";
import { HttpAdapterHost } from "@nestjs/core";
import type { GeminiWebhooks, HandleResult } from "@gemini-webhooks/core";
import { readFailed } from "@gemini-webhooks/core/adapter";
import { rawBodyOf, type NestRequestLike } from "./raw-body.js";
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
  constructor(
    @Inject(GEMINI_WEBHOOKS) private readonly webhooks: GeminiWebhooks<any>,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<NestRequestLike>();
    const res = http.getResponse<object>();
    const method = String(req.method ?? "POST").toUpperCase();
    let body: Uint8Array | string = "";
    if (method === "POST") {
      try {
        body = await rawBodyOf(req, this.webhooks);
      } catch (e) {
        // a client that went away is logged at debug (nobody reads the answer); any other failure is its answer
        throw toHttpException(readFailed(this.webhooks, e));
      }
    }
    // core does method check → verify → claim; a rejected, duplicate or in-progress delivery is answered here, as core answers it.
    const begun = await this.webhooks.begin({ body, headers: req.headers, method });
    if (begun.answer) {
      if (begun.answer.headers.allow) this.adapterHost.httpAdapter?.setHeader(res, "allow", begun.answer.headers.allow);
      throw toHttpException(begun.answer);
    }
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
