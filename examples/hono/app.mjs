// The example app: a Hono app that receives Gemini webhooks on one route. The same app runs on Node
// (server.mjs), Bun (`export default app`), Deno (`Deno.serve(app.fetch)`) and Cloudflare Workers.
import { Hono } from "hono";
import { geminiWebhooks } from "@gemini-webhooks/hono";

/**
 * @param {import("@gemini-webhooks/core").GeminiWebhooksOptions} options receiver options (secret, jwks, on, …)
 */
export function createApp(options) {
  /** @type {Hono<{ Variables: import("@gemini-webhooks/hono").GeminiVariables }>} */
  const app = new Hono();
  // A middleware before the receiver sees the verified event once the answer is made (here: an audit header).
  app.use("/gemini-callback", async (c, next) => {
    await next();
    const event = c.get("geminiEvent");
    if (event) c.header("x-gemini-event", event.type);
  });
  // app.all: other methods get 405 from the receiver (app.post would leave them to Hono's 404).
  app.all("/gemini-callback", geminiWebhooks(options));
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.post("/echo", async (c) => c.json({ youSent: await c.req.json() }));
  return app;
}
