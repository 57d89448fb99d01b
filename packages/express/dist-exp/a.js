// src/index.ts
import { resolveWebhooks } from "@gemini-webhooks/core/adapter";
import { receiveNode } from "@gemini-webhooks/core/node";
import { createGeminiWebhooks, WebhookVerificationError } from "@gemini-webhooks/core";
function keptBody(req) {
  if (Buffer.isBuffer(req.body)) return req.body;
  if (Buffer.isBuffer(req.rawBody) || typeof req.rawBody === "string") return req.rawBody;
  if (typeof req.body === "string") return req.body;
  return void 0;
}
function exposeEvent(res, event) {
  if (event && res.locals) res.locals.geminiEvent = event;
}
function geminiWebhooks(optionsOrInstance) {
  const webhooks = resolveWebhooks(optionsOrInstance);
  const middleware = (req, res) => {
    void receiveNode(webhooks, req, res, { framework: "express", raw: keptBody(req), beforeSend: (result) => exposeEvent(res, result.event) });
  };
  return Object.assign(middleware, { webhooks });
}
function captureRawBody(req, _res, buf) {
  req.rawBody = buf;
}
export {
  WebhookVerificationError,
  captureRawBody,
  createGeminiWebhooks,
  geminiWebhooks
};
