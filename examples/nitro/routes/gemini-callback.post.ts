// POST /gemini-callback (Nitro 2; in Nuxt, server/routes/gemini-callback.post.ts). defineEventHandler and
// toWebRequest are auto-imported from h3 1: toWebRequest(event) is the web Request, its body still unread.
import { createGeminiWebhooks } from "@gemini-webhooks/core";

// Made when the server first loads this route, with the secret from its environment at run time.
const webhooks = createGeminiWebhooks({
  secret: process.env.GEMINI_WEBHOOK_SECRET,
  on: {
    "batch.succeeded": (event, ctx) => {
      console.log(`[gemini] batch ${event.data.id} succeeded: ${event.data.output_file_uri} (${ctx.webhookId}, ${ctx.scheme})`);
    },
  },
});

export default defineEventHandler((event) => webhooks.fetch(toWebRequest(event)));
