import { geminiWebhookHandler } from "@gemini-webhooks/next";
import { on } from "../../../lib/handlers";

// App Router, Node.js runtime (the default). The options are turned into a receiver on the first
// request, so `next build` needs no GEMINI_WEBHOOK_SECRET; `next start` does.
export const runtime = "nodejs";

export const POST = geminiWebhookHandler({ secret: process.env.GEMINI_WEBHOOK_SECRET, on });

// Optional: other methods get the receiver's JSON 405 (method_not_allowed, Allow: POST) instead of
// Next's empty one. Next derives HEAD from GET.
export const GET = POST;
