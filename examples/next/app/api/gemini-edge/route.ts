import { geminiWebhookHandler } from "@gemini-webhooks/next";
import { on } from "../../../lib/handlers";

// App Router, Edge runtime: the same handler, verifying with Web Crypto (no Node.js module needed).
// Each Edge isolate keeps its own in-memory dedupe store: use a shared store (Redis) in production.
export const runtime = "edge";

export const POST = geminiWebhookHandler({ secret: process.env.GEMINI_WEBHOOK_SECRET, on });
export const GET = POST;
