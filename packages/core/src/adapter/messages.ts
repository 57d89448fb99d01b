import { WebhookVerificationError } from "../errors.js";

/** The adapters' own answers (413, 408, a body parser that got there first): written once, here. */

export function bodyTooLarge(max: number): WebhookVerificationError {
  return new WebhookVerificationError("body_too_large", `The body is over maxBodyBytes (${max} bytes).`);
}

export function bodyTimeout(ms: number): WebhookVerificationError {
  return new WebhookVerificationError("body_timeout", `The request body did not fully arrive within readTimeoutMs (${ms} ms).`);
}

export type Framework = "express" | "koa" | "next-pages" | "nestjs" | "fastify" | "hono" | "node";

const PARSED_FIX: Record<Framework, string> = {
  express:
    "Mount geminiWebhooks() on its route before app.use(express.json()), or keep the raw bytes for every route with app.use(express.json({ verify: captureRawBody })). (express.raw() on the webhook route does not help once a global express.json() has read the body.)",
  koa: "Register geminiWebhooks() before the body parser (or set ctx.disableBodyParser = true for the webhook path), or use koa-bodyparser / @koa/bodyparser, which keep ctx.request.rawBody.",
  "next-pages":
    "Add `export const config = { api: { bodyParser: false } };` to this pages/api file, written out as an object literal (Next.js reads page config statically), and read no body before the handler.",
  nestjs:
    "Create the app with the raw body kept: NestFactory.create(AppModule, { rawBody: true }) (on Fastify: NestFactory.create(AppModule, new FastifyAdapter(), { rawBody: true })).",
  fastify: "Register the plugin with its own route (it parses the webhook route's body as raw bytes); do not read the body in an onRequest/preParsing hook for this route.",
  hono: "Do not read the body (c.req.json(), c.req.text()) in a middleware before geminiWebhooks() on this route.",
  node: "Give the receiver the request stream before anything reads it.",
};

/** 500 `configuration`: something read the body first and kept no raw bytes; says how to fix it for this framework. */
export function bodyAlreadyParsed(framework: Framework): WebhookVerificationError {
  return new WebhookVerificationError(
    "configuration",
    `A body parser read the request before the Gemini webhook receiver and kept no raw body, so the signature cannot be checked. ${PARSED_FIX[framework]}`,
  );
}
