import { Module, type DynamicModule } from "@nestjs/common";
import { GeminiWebhooksModule, type GeminiWebhooksOptions } from "@gemini-webhooks/nestjs";
import { GeminiHandlers } from "./gemini.handlers";
import { HealthController, WebhooksController } from "./webhooks.controller";

@Module({})
export class AppModule {
  /** The receiver's options come from main.ts (environment) or from the demo/tests. */
  static register(options: GeminiWebhooksOptions): DynamicModule {
    return {
      module: AppModule,
      // POST /gemini-callback → verify, dedupe, then the @OnGeminiEvent methods of GeminiHandlers
      imports: [GeminiWebhooksModule.forRoot({ ...options, path: "gemini-callback" })],
      controllers: [WebhooksController, HealthController],
      providers: [GeminiHandlers],
    };
  }
}
