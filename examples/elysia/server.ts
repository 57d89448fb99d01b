// Elysia on Bun (`bun server.ts`). The route hands Elysia's web Request to core's fetch(), which reads the raw
// body itself; parse: "none" keeps Elysia from consuming that body first, whatever schema or plugin the app
// adds later. PORT (default 3000; 0 picks a free one) and HOST (default 127.0.0.1); prints "listening <port>".
import { Elysia } from "elysia";
import { createGeminiWebhooks } from "@gemini-webhooks/core";

const webhooks = createGeminiWebhooks({
  secret: process.env.GEMINI_WEBHOOK_SECRET,
  on: {
    "batch.succeeded": (event, ctx) => {
      console.log(`[gemini] batch ${event.data.id} succeeded: ${event.data.output_file_uri} (${ctx.webhookId}, ${ctx.scheme})`);
    },
  },
});

const app = new Elysia()
  .post("/gemini-callback", ({ request }) => webhooks.fetch(request), { parse: "none" })
  .listen({ hostname: process.env.HOST ?? "127.0.0.1", port: Number(process.env.PORT ?? 3000) });

console.log(`listening ${app.server!.port}`);
