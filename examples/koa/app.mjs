// The example app: an existing Koa app (router + a global body parser) that receives Gemini webhooks on one route.
import Koa from "koa";
import Router from "@koa/router";
import { bodyParser } from "@koa/bodyparser";
import { geminiWebhooks } from "@gemini-webhooks/koa";

/**
 * @param {import("@gemini-webhooks/core").GeminiWebhooksOptions} options receiver options (secret, jwks, on, …)
 * @returns {Koa}
 */
export function createApp(options) {
  const app = new Koa();
  // The rest of the app keeps its body parser: @koa/bodyparser keeps ctx.request.rawBody, which is what the
  // webhook middleware verifies (without a parser, or before it, the middleware reads the raw stream itself).
  app.use(bodyParser());
  const router = new Router();
  router.post(
    "/gemini-callback",
    geminiWebhooks(options),
    // Runs after a first-time delivery was verified and handled (not for duplicates or errors): audit, metrics…
    async (ctx) => {
      ctx.set("x-gemini-event", ctx.state.geminiEvent.type);
    },
  );
  router.get("/healthz", (ctx) => {
    ctx.body = { ok: true };
  });
  router.post("/echo", (ctx) => {
    ctx.body = { youSent: ctx.request.body };
  });
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}
