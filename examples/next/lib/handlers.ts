import type { GeminiWebhooksOptions } from "@gemini-webhooks/next";

/**
 * The typed per-event callbacks shared by the three routes. Real apps fetch the batch results, store
 * the video, resume the interaction… here each event is logged.
 */
export const on: GeminiWebhooksOptions["on"] = {
  "batch.succeeded": (event, ctx) => {
    console.log(`[gemini] batch ${event.data.id} succeeded: ${event.data.output_file_uri} (${ctx.webhookId}, ${ctx.scheme})`);
  },
  "batch.failed": (event) => {
    console.warn(`[gemini] batch ${event.data.id} failed: ${event.data.error_code} ${event.data.error_message}`);
  },
  "video.generated": (event) => {
    console.log(`[gemini] video ready: ${event.data.video_uri ?? event.data.output_file_uri}`);
  },
  "*": (event, ctx) => {
    console.log(`[gemini] ${event.type} ${ctx.webhookId}`);
  },
};
