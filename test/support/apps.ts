import "reflect-metadata";
import type { Server } from "node:http";
import express from "express";
import Koa from "koa";
import Router from "@koa/router";
import { Module, type INestApplication } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { ExpressAdapter } from "@nestjs/platform-express";
import type { GeminiWebhooks } from "@gemini-webhooks/core";
import { geminiWebhooks as expressWebhooks } from "@gemini-webhooks/express";
import { geminiWebhooks as koaWebhooks } from "@gemini-webhooks/koa";
import Fastify from "fastify";
import { Hono } from "hono";
import { getRequestListener } from "@hono/node-server";
import { geminiWebhooks as fastifyWebhooks } from "@gemini-webhooks/fastify";
import { geminiWebhooks as honoWebhooks } from "@gemini-webhooks/hono";
import { geminiPagesHandler, geminiWebhookHandler } from "@gemini-webhooks/next";
import { GeminiWebhooksModule } from "@gemini-webhooks/nestjs";
import { fetchListener, serve, type Running } from "./http.js";

/** Every way a receiver is mounted on a real HTTP server in these tests. */
export const ADAPTERS = ["express", "koa", "next-pages", "next-app", "nestjs", "core-fetch", "fastify", "hono"] as const;
export type AdapterName = (typeof ADAPTERS)[number];
/** The Node adapters: the ones that read a Node request stream themselves (or through their framework). */
export const NODE_ADAPTERS = ["express", "koa", "next-pages", "nestjs", "fastify"] as const;

export interface MountedApp {
  /** The webhook route's full URL. */
  url: string;
  /** The node:http server underneath (its "request" event says a request arrived). */
  server: Server;
  close(): Promise<void>;
}

export interface MountOptions {
  /**
   * Put the framework's usual body parser in front of the receiver, keeping no raw body (Express:
   * express.json(); Koa: a hand-written JSON parser; Next Pages: Next's bodyParser (req.body parsed);
   * NestJS: an app created without rawBody: true).
   */
  parserFirst?: boolean;
}

const PATH = "/gemini-callback";

async function readAll(stream: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

/** Mounts `webhooks` on PATH (every method) in a real app of that framework, listening on 127.0.0.1. */
export async function mount(adapter: AdapterName, webhooks: GeminiWebhooks<any>, o: MountOptions = {}): Promise<MountedApp> {
  const done = (running: Running): MountedApp => ({ url: running.base + PATH, server: running.server, close: running.close });
  switch (adapter) {
    case "express": {
      const app = express();
      if (o.parserFirst) app.use(express.json());
      app.all(PATH, expressWebhooks(webhooks));
      return done(await serve(app.listen(0, "127.0.0.1")));
    }
    case "koa": {
      const app = new Koa();
      if (o.parserFirst) {
        app.use(async (ctx, next) => {
          (ctx.request as { body?: unknown }).body = JSON.parse(await readAll(ctx.req));
          await next();
        });
      }
      const router = new Router();
      router.all(PATH, koaWebhooks(webhooks));
      app.use(router.routes());
      return done(await serve(app.listen(0, "127.0.0.1")));
    }
    case "next-pages": {
      const pages = geminiPagesHandler(webhooks);
      return done(
        await serve((req, res) => {
          if (req.url !== PATH) return void res.writeHead(404).end();
          if (!o.parserFirst) return void pages(req, res);
          // what Next does with bodyParser left on: the body is read and parsed before the route runs
          void readAll(req).then((text) => pages(Object.assign(req, { body: text ? JSON.parse(text) : {} }), res));
        }),
      );
    }
    case "next-app": {
      const POST = geminiWebhookHandler(webhooks);
      return done(await serve(fetchListener(POST)));
    }
    case "fastify": {
      const app = Fastify();
      if (o.parserFirst) app.addHook("onRequest", async (request) => void (await readAll(request.raw)));
      await app.register(fastifyWebhooks, { path: PATH, webhooks });
      await app.listen({ port: 0, host: "127.0.0.1" });
      const running = await serve(app.server);
      return { url: running.base + PATH, server: running.server, close: async () => void (await app.close()) };
    }
    case "hono": {
      const app = new Hono();
      if (o.parserFirst) {
        app.use(PATH, async (c, next) => {
          await c.req.json();
          await next();
        });
      }
      app.all(PATH, honoWebhooks(webhooks));
      return done(await serve(getRequestListener(app.fetch)));
    }
    case "core-fetch":
      return done(await serve(fetchListener(webhooks.fetch)));
    case "nestjs": {
      class AppModule {}
      Module({ imports: [GeminiWebhooksModule.forRoot(webhooks, { path: PATH.slice(1) })] })(AppModule);
      const app: INestApplication = await NestFactory.create(AppModule, new ExpressAdapter(), { rawBody: !o.parserFirst, logger: false, abortOnError: false });
      await app.listen(0, "127.0.0.1");
      const running = await serve(app.getHttpServer());
      return {
        url: running.base + PATH,
        server: running.server,
        close: async () => {
          await running.close();
          await app.close().catch(() => undefined);
        },
      };
    }
  }
}
