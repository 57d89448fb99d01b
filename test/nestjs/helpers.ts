import type { INestApplication } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { ExpressAdapter } from "@nestjs/platform-express";
import { FastifyAdapter } from "@nestjs/platform-fastify";
import request from "supertest";

export type Platform = "express" | "fastify";
export const PLATFORMS: Platform[] = ["express", "fastify"];

/** A real Nest app on the platform, listening on 127.0.0.1 (NestFactory.create, as a user's main.ts does). */
export async function startApp(platform: Platform, module: unknown, options: { rawBody?: boolean } = {}): Promise<INestApplication> {
  const adapter = platform === "express" ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(module as never, adapter, { rawBody: options.rawBody ?? true, logger: false, abortOnError: false });
  await app.listen(0, "127.0.0.1");
  return app;
}

export interface Delivery {
  body: string;
  headers: Record<string, string>;
}

/** POSTs a delivery over HTTP, the exact body as signed. */
export function deliver(app: INestApplication, d: Delivery, path = "/gemini-callback") {
  return request(app.getHttpServer()).post(path).set(d.headers).send(d.body);
}

export const code = (r: request.Response): string | undefined => r.body?.error?.code;
export const row = (r: request.Response) => [r.status, r.body?.status ?? r.body?.error?.code];

/** A gate a handler can wait on, to hold a delivery "in progress". */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** Resolves once `check()` holds (polls the event loop; no timing assertion). */
export async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error("condition never held");
}
