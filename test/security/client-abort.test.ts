import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it, vi } from "vitest";
import express, { type NextFunction, type Request, type Response } from "express";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { geminiWebhooks } from "@gemini-webhooks/express";
import { fixture, signStatic } from "@gemini-webhooks/testing";
import { ADAPTERS, mount } from "../support/apps.js";
import { abortMidBody, row, send, serve } from "../support/http.js";
import { recordingLogger } from "../support/logger.js";
import { SECRET } from "../support/receiver.js";

// Issue #12, case 8: a client that aborts mid-body is not an error: no stack trace in the app's log, no 5xx,
// never next(err) in Express; core logs it at debug level and writes nothing.

const NOW_S = 1_800_000_000;
const delivery = (id: string) => signStatic({ event: fixture("batch.succeeded", { id: "x".repeat(2000) }), secret: SECRET, id, timestamp: NOW_S });

/** What the server did with the request's response by the time it closed. */
function watchResponse(server: { once(e: "request", f: (req: IncomingMessage, res: ServerResponse) => void): unknown }): Promise<{ headersSent: boolean; status: number }> {
  return new Promise((resolve) => {
    server.once("request", (_req, res) => {
      res.once("close", () => resolve({ headersSent: res.headersSent, status: res.statusCode }));
    });
  });
}

describe("Express: a client that aborts mid-body", () => {
  it("never reaches next(err) or an error handler, writes no 5xx, logs at debug only; the next delivery is fine", async () => {
    const logger = recordingLogger();
    let ran = 0;
    const errors: unknown[] = [];
    const app = express();
    const webhooks = createGeminiWebhooks({ secret: SECRET, now: () => NOW_S * 1000, logger, on: { "*": () => void ran++ } });
    app.post("/gemini-callback", geminiWebhooks(webhooks));
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      errors.push(err);
      res.status(500).end();
    });
    const running = await serve(app.listen(0, "127.0.0.1"));
    try {
      const url = `${running.base}/gemini-callback`;
      const response = watchResponse(running.server);
      const { answered } = await abortMidBody(url, delivery("msg_abort"), once(running.server, "request"));
      expect(answered).toBe(false);
      const debug = await logger.until((l) => /closed the connection/.test(l.message));
      expect(debug.level).toBe("debug");
      const r = await response;
      expect(r.headersSent && r.status >= 500).toBe(false);
      expect(errors).toEqual([]);
      expect(logger.at("error")).toEqual([]);
      expect(logger.at("warn")).toEqual([]);
      expect(ran).toBe(0);
      expect(row(await send(url, delivery("msg_after")))).toEqual([200, "received"]);
    } finally {
      await running.close();
    }
  });
});

describe.each(ADAPTERS.filter((a) => a !== "nestjs"))("%s: a client that aborts mid-body", (adapter) => {
  it("is logged at debug level only (no stack trace in the app's log); no 5xx is written; the next delivery is fine", async () => {
    const logger = recordingLogger();
    let ran = 0;
    const app = await mount(adapter, createGeminiWebhooks({ secret: SECRET, now: () => NOW_S * 1000, logger, on: { "*": () => void ran++ } }));
    // the app's own log: what the framework prints by default (Koa's app.onerror writes to console.error)
    const consoleError = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const response = watchResponse(app.server);
      await abortMidBody(app.url, delivery("msg_abort"), once(app.server, "request"));
      await logger.until((l) => /closed the connection/.test(l.message));
      const r = await response;
      expect(r.headersSent && r.status >= 500).toBe(false);
      expect(logger.lines.filter((l) => l.level !== "debug")).toEqual([]);
      expect(ran).toBe(0);
      expect(row(await send(app.url, delivery("msg_after")))).toEqual([200, "received"]);
      // the socket's end is processed by now (the next request went through on a new connection)
      expect(consoleError.mock.calls.map((c) => String(c[0]).trim().split("\n")[0])).toEqual([]);
    } finally {
      consoleError.mockRestore();
      await app.close();
    }
  });
});

describe("nestjs: a client that aborts mid-body", () => {
  // Nest's own body parser reads the body (rawBody: true), so core never sees the abort; what matters is
  // that no 5xx is written and the app keeps answering.
  it("no 5xx is written, no handler runs; the next delivery is fine", async () => {
    let ran = 0;
    const app = await mount("nestjs", createGeminiWebhooks({ secret: SECRET, now: () => NOW_S * 1000, logger: recordingLogger(), on: { "*": () => void ran++ } }));
    try {
      const response = watchResponse(app.server);
      await abortMidBody(app.url, delivery("msg_abort"), once(app.server, "request"));
      const r = await response;
      expect(r.headersSent && r.status >= 500).toBe(false);
      expect(ran).toBe(0);
      expect(row(await send(app.url, delivery("msg_after")))).toEqual([200, "received"]);
    } finally {
      await app.close();
    }
  });
});
