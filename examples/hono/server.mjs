// Run: GEMINI_WEBHOOK_SECRET=whsec_… node server.mjs   (PORT defaults to 3000, bound to 127.0.0.1)
import { serve } from "@hono/node-server";
import { createApp } from "./app.mjs";

const secret = process.env.GEMINI_WEBHOOK_SECRET;
if (!secret) {
  console.error("Set GEMINI_WEBHOOK_SECRET (generate one with: npx gemini-webhooks secret)");
  process.exit(1);
}
const app = createApp({
  secret,
  on: {
    "batch.succeeded": (event) => console.log(`batch ${event.data.id} succeeded: ${event.data.output_file_uri}`),
    "*": (event, ctx) => console.log(`received ${event.type} (${ctx.webhookId}, ${ctx.scheme})`),
  },
});
serve({ fetch: app.fetch, hostname: "127.0.0.1", port: Number(process.env.PORT ?? 3000) }, (info) =>
  console.log(`listening on http://127.0.0.1:${info.port}/gemini-callback`),
);
