// The receiver, made on the first delivery with the secret from the server's environment at run time.
// (process.env on adapter-node; $env/dynamic/private elsewhere. Never $env/static/private: the build inlines it.)
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
