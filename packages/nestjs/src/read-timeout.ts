import { Inject, Injectable } from "@nestjs/common";
import { HttpAdapterHost } from "@nestjs/core";
import type { GeminiWebhooks } from "@gemini-webhooks/core";
import { armReadTimeout } from "./raw-body.js";
import { GEMINI_WEBHOOKS } from "./tokens.js";

type Next = (err?: unknown) => void;

/**
 * Registers, while the app is being created (before Nest adds its body parsers in app.init()), the read
 * timeout of webhook requests: an Express middleware, or a Fastify onRequest hook.
 */
@Injectable()
export class GeminiReadTimeout {
  constructor(@Inject(HttpAdapterHost) host: HttpAdapterHost, @Inject(GEMINI_WEBHOOKS) webhooks: GeminiWebhooks<any>) {
    const app = host.httpAdapter?.getInstance?.() as
      | { use?: (fn: (req: any, res: any, next: Next) => void) => unknown; addHook?: (name: "onRequest", fn: (req: any, reply: any, done: Next) => void) => unknown }
      | undefined;
    if (typeof app?.addHook === "function") {
      app.addHook("onRequest", (req, reply, done) => (armReadTimeout(req.raw, reply.raw, webhooks), done()));
    } else if (typeof app?.use === "function") {
      app.use((req, res, next) => (armReadTimeout(req, res, webhooks), next()));
    }
  }
}
