// The example app: an existing Fastify app (JSON routes, an app-wide hook) that receives Gemini webhooks on one route.
import Fastify from "fastify";
import { geminiWebhooks } from "@gemini-webhooks/fastify";

/**
 * @param {import("@gemini-webhooks/core").GeminiWebhooksOptions} options receiver options (secret, jwks, on, …)
 */
export async function createApp(options) {
  const app = Fastify();
  // The rest of the app keeps Fastify's JSON parser: the plugin's raw-body parser is scoped to its own route.
  app.post("/echo", async (request) => ({ youSent: request.body }));
  app.get("/healthz", async () => ({ ok: true }));
  // request.geminiEvent is the verified event on the webhook route (here: an audit header).
  app.addHook("onSend", async (request, reply) => {
    if (request.geminiEvent) reply.header("x-gemini-event", request.geminiEvent.type);
  });
  await app.register(geminiWebhooks, { path: "/gemini-callback", ...options });
  return app;
}
