import { Injectable, Logger } from "@nestjs/common";
import {
  OnGeminiEvent,
  type AnyGeminiEvent,
  type BatchFailedEvent,
  type BatchSucceededEvent,
  type VideoGeneratedEvent,
  type WebhookContext,
} from "@gemini-webhooks/nestjs";

/**
 * Typed per-event handlers on an ordinary provider, found at startup. They run for deliveries to the
 * module's route (/gemini-callback). A handler that throws makes the answer 500, so Gemini retries.
 * Real apps fetch the batch results, store the video, resume the interaction… here each event is logged.
 */
@Injectable()
export class GeminiHandlers {
  private readonly logger = new Logger("Gemini");

  @OnGeminiEvent("batch.succeeded")
  onBatchSucceeded(event: BatchSucceededEvent, ctx: WebhookContext): void {
    this.logger.log(`batch ${event.data.id} succeeded: ${event.data.output_file_uri} (${ctx.webhookId}, ${ctx.scheme})`);
  }

  @OnGeminiEvent("batch.failed")
  onBatchFailed(event: BatchFailedEvent): void {
    this.logger.warn(`batch ${event.data.id} failed: ${event.data.error_code} ${event.data.error_message}`);
  }

  @OnGeminiEvent("video.generated")
  onVideo(event: VideoGeneratedEvent): void {
    this.logger.log(`video ready: ${event.data.video_uri ?? event.data.output_file_uri}`);
  }

  @OnGeminiEvent("*")
  onAny(event: AnyGeminiEvent, ctx: WebhookContext): void {
    this.logger.log(`received ${event.type} (${ctx.webhookId}, ${ctx.scheme})`);
  }
}
