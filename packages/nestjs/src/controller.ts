import { All, Controller, Inject, Req, Res, type Type } from "@nestjs/common";
import { HttpAdapterHost } from "@nestjs/core";
import type { GeminiWebhooks, HandleResult } from "@gemini-webhooks/core";
import { rawBodyMissing, rawBodyOf, type NestRequestLike } from "./raw-body.js";
import { GEMINI_WEBHOOKS_REPORT, type Report } from "./report.js";
import { GEMINI_WEBHOOKS } from "./tokens.js";

/**
 * The module's own route: every method on `path` goes to core's handle(), which verifies, dedupes and runs
 * the `on` handlers and the @OnGeminiEvent methods, and the answer is written with core's status, headers and
 * JSON, through the platform's adapter (Express or Fastify).
 */
export function createWebhookController(path: string, decorators: ReadonlyArray<ClassDecorator> = []): Type<unknown> {
  @Controller(path)
  class GeminiWebhooksController {
    constructor(
      @Inject(GEMINI_WEBHOOKS) private readonly webhooks: GeminiWebhooks<any>,
      @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
      @Inject(GEMINI_WEBHOOKS_REPORT) private readonly report: Report,
    ) {}

    @All()
    async receive(@Req() req: NestRequestLike, @Res() res: object): Promise<void> {
      const method = String(req.method ?? "POST").toUpperCase();
      let result: HandleResult<any>;
      if (method !== "POST") {
        result = await this.webhooks.handle({ method, body: "", headers: req.headers });
      } else {
        const body = rawBodyOf(req);
        if (body === undefined) {
          result = rawBodyMissing(req);
          this.report(result.error, { stage: "verify", code: "configuration" });
        } else {
          result = await this.webhooks.handle({ method, body, headers: req.headers });
        }
      }
      const adapter = this.adapterHost.httpAdapter;
      for (const [name, value] of Object.entries(result.headers)) adapter.setHeader(res, name, value);
      adapter.reply(res, JSON.stringify(result.body), result.status);
    }
  }
  for (const decorate of decorators) decorate(GeminiWebhooksController);
  return GeminiWebhooksController;
}
