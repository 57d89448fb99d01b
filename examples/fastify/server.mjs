// Run: GEMINI_WEBHOOK_SECRET=whsec_… node server.mjs   (PORT defaults to 3000, bound to 127.0.0.1)
import { createApp } from "./app.mjs";

const secret = process.env.GEMINI_WEBHOOK_SECRET;
if (!secret) {
  console.error("Set GEMINI_WEBHOOK_SECRET (generate one with: npx gemini-webhooks secret)");
  process.exit(1);
}
const app = await createApp({
  secret,
  on: {
    "batch.succeeded": (event) => console.log(`batch ${event.data.id} succeeded: ${event.data.output_file_uri}`),
    "batch.failed": (event) => console.log(`batch ${event.data.id} failed: ${event.data.error_code} ${event.data.error_message}`),
    "*": (event, ctx) => console.log(`received ${event.type} (${ctx.webhookId}, ${ctx.scheme})`),
  },
});
const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: "127.0.0.1" });
console.log(`listening on ${address}/gemini-callback`);
