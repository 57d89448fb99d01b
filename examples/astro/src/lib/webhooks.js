// The receiver, made on the first delivery with the secret from the server's environment at run time
// (process.env, not import.meta.env, which `astro build` would inline).
import { createGeminiWebhooks } from "@gemini-webhooks/core";

let webhooks;
export function receiver() {
  return (webhooks ??= createGeminiWebhooks({
    secret: process.env.GEMINI_WEBHOOK_SECRET,
    on: {
      "batch.succeeded": (event, ctx) => {
        console.log(`[gemini] batch ${event.data.id} succeeded: ${event.data.output_file_uri} (${ctx.webhookId}, ${ctx.scheme})`);
      },
    },
  }));
}
