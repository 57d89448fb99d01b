import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { geminiWebhooks } from "@gemini-webhooks/express";
import { redisDeadLetters, redisStore } from "@gemini-webhooks/redis";
import { createTestIssuer, fixture, generateSecret, type TestIssuer } from "@gemini-webhooks/testing";
import { cliOnce } from "../support/cli.js";
import { serve, type Running } from "../support/http.js";
import { makeClient, type TestClient } from "../support/redis-clients.js";
import { describeRedis, startRedis, type RedisServer } from "../support/redis-server.js";

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

// DESIGN.md, "The tools around the receiver": replay runs under the entry's stored idempotency key, a JWT
// delivery's key space included, so "an id processed in the meantime answers duplicate" holds for every scheme.
describeRedis("gemini-webhooks replay of a JWT delivery runs under its stored key", () => {
  const SECRET = generateSecret();
  let server: RedisServer;
  let issuer: TestIssuer;
  let app: Running;
  let appUrl: string;
  let mod: typeof import("./fixtures/replay-app.js");
  const MODULE = new URL("./fixtures/replay-app.ts", import.meta.url).pathname;

  beforeAll(async () => {
    server = await startRedis();
    issuer = await createTestIssuer({ audience: "replay-test" });
    process.env.REPLAY_REDIS_URL = server.url;
    process.env.REPLAY_JWKS_URI = issuer.jwksUri;
    process.env.REPLAY_SECRET = SECRET;
    mod = await import("./fixtures/replay-app.js");
    const a = express();
    a.post("/gemini-callback", geminiWebhooks(mod.webhooks));
    app = await serve(a);
    appUrl = `${app.base}/gemini-callback`;
  });
  afterAll(async () => {
    await app?.close();
    mod?.redis.disconnect();
    await issuer?.close();
    await server?.dispose();
  });

  const post = async (d: { headers: Record<string, string>; body: string | Uint8Array }) => {
    const res = await fetch(appUrl, { method: "POST", headers: d.headers, body: d.body as string });
    return [res.status, await res.json()] as const;
  };

  it("replay --app: the handler runs once; Gemini's own retry of the JWT delivery then answers duplicate", async () => {
    await mod.redis.del("replay:runs");
    await mod.redis.set("replay:fail", "1");
    const delivery = issuer.signJwt({ event: fixture("batch.succeeded"), id: "jwt_delivery_1" });
    expect((await post(delivery))[0]).toBe(500);
    const [entry] = await mod.webhooks.deadLetters.list();
    expect(entry).toMatchObject({ ctx: { scheme: "jwt", webhookId: "jwt_delivery_1" } });
    expect(entry!.id).toMatch(/:jwt:jwt_delivery_1$/);
    await mod.redis.del("replay:fail");

    const r = await cliOnce(["replay", entry!.id, "--app", MODULE]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/jwt_delivery_1 → 200 received/);
    expect(await mod.redis.lrange("replay:runs", 0, -1)).toEqual(["jwt_delivery_1"]);
    expect(await mod.webhooks.deadLetters.list()).toEqual([]);

    // Gemini retries the same JWT delivery (same token): already processed under its own key
    expect(await post(delivery)).toEqual([200, { status: "duplicate" }]);
    expect(await mod.redis.lrange("replay:runs", 0, -1)).toEqual(["jwt_delivery_1"]);
  });

  it("replay over HTTP refuses a JWT entry (a v1 re-delivery cannot reach its key), keeps it, exit 1", async () => {
    await mod.redis.del("replay:runs");
    await mod.redis.set("replay:fail", "1");
    const delivery = issuer.signJwt({ event: fixture("batch.failed"), id: "jwt_delivery_2" });
    expect((await post(delivery))[0]).toBe(500);
    await mod.redis.del("replay:fail");

    const r = await cliOnce(["replay", "jwt_delivery_2", "--redis-url", server.url, "--url", appUrl, "--secret", SECRET]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/jwt_delivery_2 → not replayed .*--app MODULE/);
    expect(await mod.redis.lrange("replay:runs", 0, -1)).toEqual([]);
    expect((await mod.webhooks.deadLetters.list()).map((e) => e.ctx.webhookId)).toEqual(["jwt_delivery_2"]);

    // the receiver's own replay takes it; Gemini's retry is then a duplicate
    expect((await cliOnce(["replay", "jwt_delivery_2", "--app", MODULE])).code).toBe(0);
    expect(await post(delivery)).toEqual([200, { status: "duplicate" }]);
    expect(await mod.redis.lrange("replay:runs", 0, -1)).toEqual(["jwt_delivery_2"]);
  });
});
