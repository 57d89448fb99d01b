// The receiver, made on the first delivery with the secret from the server's environment at run time
// (process.env, not import.meta.env, which `react-router build` would inline).
import { createGeminiWebhooks, type GeminiWebhooks } from "@gemini-webhooks/core";

let webhooks: GeminiWebhooks | undefined;
export function receiver(): GeminiWebhooks {
  return (webhooks ??= createGeminiWebhooks({
    secret: process.env.GEMINI_WEBHOOK_SECRET,
    on: {
      "batch.succeeded": (event, ctx) => {
        console.log(`[gemini] batch ${event.data.id} succeeded: ${event.data.output_file_uri} (${ctx.webhookId}, ${ctx.scheme})`);
      },
    },
  }));
}
