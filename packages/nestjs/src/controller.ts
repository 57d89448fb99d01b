import { All, Controller, Inject, Req, Res, type Type } from "@nestjs/common";
import { HttpAdapterHost } from "@nestjs/core";
import { bodyText, receive } from "@gemini-webhooks/core/adapter";
import type { GeminiWebhooks } from "@gemini-webhooks/core";
import { rawBodyOf, type NestRequestLike } from "./raw-body.js";
import { GEMINI_WEBHOOKS } from "./tokens.js";

/** Marks the module's own controller: `{ path, explicitPath }` (the explorer unmaps it when guard routes exist). */
export const OWN_CONTROLLER = "gemini-webhooks:own-controller";

/**
 * The module's own route: every method on `path` goes through core's receive path (verify, dedupe, the `on`
 * handlers and the @OnGeminiEvent methods), answered through the platform's adapter (Express or Fastify).
 */
export function createWebhookController(path: string, decorators: ReadonlyArray<ClassDecorator> = [], explicitPath = true): Type<unknown> {
  @Controller(path)
  class GeminiWebhooksController {
    constructor(
      @Inject(GEMINI_WEBHOOKS) private readonly webhooks: GeminiWebhooks<any>,
      @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    ) {}

    @All()
    async receive(@Req() req: NestRequestLike, @Res() res: object): Promise<void> {
      const result = await receive(this.webhooks, { method: req.method, headers: req.headers, body: () => rawBodyOf(req, this.webhooks) });
      const adapter = this.adapterHost.httpAdapter;
      for (const [name, value] of Object.entries(result.headers)) adapter.setHeader(res, name, value);
      adapter.reply(res, bodyText(result.body), result.status);
    }
  }
  for (const decorate of decorators) decorate(GeminiWebhooksController);
  Reflect.defineMetadata(OWN_CONTROLLER, { path, explicitPath }, GeminiWebhooksController);
  return GeminiWebhooksController;
}
