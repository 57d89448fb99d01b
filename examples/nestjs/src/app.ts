import "reflect-metadata";
import type { INestApplication, LogLevel } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { ExpressAdapter, type NestExpressApplication } from "@nestjs/platform-express";
import { FastifyAdapter } from "@nestjs/platform-fastify";
import type { GeminiWebhooksOptions } from "@gemini-webhooks/nestjs";
import { AppModule } from "./app.module";

export type Platform = "express" | "fastify";

/**
 * The platform's own body limit, kept well above maxBodyBytes so that an oversized delivery gets core's
 * `413 body_too_large` (Express's JSON parser stops at 100 kB by default, Fastify at 1 MiB).
 */
const PLATFORM_BODY_LIMIT = 16 << 20;

/** Creates (does not start) the app. `rawBody: true` keeps the exact bytes Gemini signed on req.rawBody. */
export async function createApp(
  options: GeminiWebhooksOptions,
  { platform = "express", logger = ["log", "warn", "error"] }: { platform?: Platform; logger?: LogLevel[] | false } = {},
): Promise<INestApplication> {
  const module = AppModule.register(options);
  if (platform === "fastify") {
    return NestFactory.create(module, new FastifyAdapter({ bodyLimit: PLATFORM_BODY_LIMIT }), { rawBody: true, logger });
  }
  const app = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), { rawBody: true, logger });
  app.useBodyParser("json", { limit: PLATFORM_BODY_LIMIT });
  return app;
}
