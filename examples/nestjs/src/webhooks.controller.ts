import { Controller, Get, Logger, Post, UseGuards } from "@nestjs/common";
import { GeminiEvent, GeminiWebhookContext, GeminiWebhookGuard, type AnyGeminiEvent, type WebhookContext } from "@gemini-webhooks/nestjs";

/**
 * The guard path: a route of your own. The guard verifies and dedupes; the method is the handler (it runs
 * once per delivery; when it throws the answer is 500 handler_failed and Gemini retries).
 */
@Controller("webhooks")
export class WebhooksController {
  private readonly logger = new Logger("GeminiGuarded");

  @Post("gemini")
  @UseGuards(GeminiWebhookGuard)
  receive(@GeminiEvent() event: AnyGeminiEvent, @GeminiWebhookContext() ctx: WebhookContext): void {
    this.logger.log(`guarded route received ${event.type} (${ctx.webhookId})`);
  }
}

@Controller("healthz")
export class HealthController {
  @Get()
  health(): { ok: true } {
    return { ok: true };
  }
}
