// The receiver, made once at server start with the secret from the environment.
import { createGeminiWebhooks } from "@gemini-webhooks/core";

export const webhooks = createGeminiWebhooks({
  secret: process.env.GEMINI_WEBHOOK_SECRET,
  on: {
    "batch.succeeded": (event, ctx) => {
      console.log(`[gemini] batch ${event.data.id} succeeded: ${event.data.output_file_uri} (${ctx.webhookId}, ${ctx.scheme})`);
    },
  },
});
