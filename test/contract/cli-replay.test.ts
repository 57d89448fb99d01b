import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { geminiWebhooks } from "@gemini-webhooks/express";
import { redisDeadLetters, redisStore } from "@gemini-webhooks/redis";
import { fixture, generateSecret } from "@gemini-webhooks/testing";
import { cliOnce } from "../support/cli.js";
import { serve, type Running } from "../support/http.js";
import { makeClient, type TestClient } from "../redis/clients.js";
import { describeRedis, startRedis, type RedisServer } from "../redis/redis-server.js";

// DESIGN.md, Layout: the testing package's CLI has "trigger, listen [--forward, --ui], sign, secret, replay".
// `gemini-webhooks replay` is the shorthand of `dead-letters replay` (the failed deliveries kept in Redis).

describe("gemini-webhooks replay: listed and documented", () => {
  it("--help lists replay; replay --help explains it; an unknown command names it", async () => {
    const main = await cliOnce(["--help"]);
    expect(main.code).toBe(0);
    expect(main.stdout).toMatch(/^\s+replay\b/m);
    const help = await cliOnce(["replay", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: gemini-webhooks replay/);
    const unknown = await cliOnce(["replya"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/replay/);
  });

  it("usage errors are exit 2 with one line, as for dead-letters replay", async () => {
    const r = await cliOnce(["replay", "x"], {});
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: missing --redis-url/);
  });
});

describeRedis("gemini-webhooks replay against Redis and a real app", () => {
  const SECRET = generateSecret();
  let server: RedisServer;
  let client: TestClient;
  let app: Running;
  let appUrl: string;
  const runs: string[] = [];

  beforeAll(async () => {
    server = await startRedis();
    client = await makeClient("ioredis", server.url);
    const a = express();
    a.post(
      "/gemini-callback",
      geminiWebhooks({ secret: SECRET, idempotency: redisStore(client.client), logger: false, on: { "*": (_e, ctx) => void runs.push(ctx.webhookId) } }),
    );
    app = await serve(a);
    appUrl = `${app.base}/gemini-callback`;
  });
  afterAll(async () => {
    await app?.close();
    await client?.close();
    await server?.dispose();
  });

  it("re-delivers a dead letter under its webhook-id, exit 0, and deletes the entry", async () => {
    const store = redisDeadLetters(client.client);
    await store.record({
      id: "gemini:msg_lost",
      event: fixture("batch.succeeded"),
      ctx: { webhookId: "msg_lost", timestamp: new Date().toISOString(), scheme: "v1", secretIndex: 0 },
      error: { name: "Error", message: "db down", code: "handler_failed" },
    } as Parameters<typeof store.record>[0], Date.now());
    const r = await cliOnce(["replay", "msg_lost", "--redis-url", server.url, "--url", appUrl, "--secret", SECRET]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/msg_lost → 200 received/);
    expect(runs).toEqual(["msg_lost"]);
    expect(await store.list()).toEqual([]);
  });
});
