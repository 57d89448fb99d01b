// The example app: an existing Express app that receives Gemini webhooks on one route.
import express from "express";
import { geminiWebhooks } from "@gemini-webhooks/express";

/**
 * @param {import("@gemini-webhooks/core").GeminiWebhooksOptions} options receiver options (secret, jwks, on, …)
 * @returns {import("express").Express}
 */
export function createApp(options) {
  const app = express();
  // The rest of the app keeps its JSON parser; the webhook route is registered before it, so it sees raw bytes.
  app.post("/gemini-callback", geminiWebhooks(options));
  app.use(express.json());
  app.get("/healthz", (_req, res) => res.json({ ok: true }));
  return app;
}
