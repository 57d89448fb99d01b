import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { geminiWebhooks } from "@gemini-webhooks/express";
import { redisDeadLetters, redisStore } from "@gemini-webhooks/redis";
import { createSender, fixture, generateSecret } from "@gemini-webhooks/testing";
import { cliOnce } from "../../../test/support/cli.js";
import { makeClient, type TestClient } from "../../../test/support/redis-clients.js";
import { describeRedis, freePort, startRedis, type RedisServer } from "../../../test/support/redis-server.js";

// `gemini-webhooks dead-letters list|replay|delete --redis-url …` against a real redis-server and a real app.
const SECRET = generateSecret();
const T0 = Date.UTC(2027, 0, 15, 8);

describeRedis("gemini-webhooks dead-letters", () => {
  let server: RedisServer;
  let client: TestClient;
  let app: Server;
  let appUrl: string;
  let runs: string[];
  let failing = false;

  const store = () => redisDeadLetters(client.client);
  const entry = (webhookId: string, type: "batch.succeeded" | "video.generated" = "batch.succeeded") => ({
    id: `gemini:${webhookId}`,
    event: { ...fixture(type), data: { ...fixture(type).data, id: `jobs/${webhookId}` } } as ReturnType<typeof fixture<"batch.succeeded">>,
    ctx: { webhookId, timestamp: new Date(T0).toISOString(), scheme: "v1" as const, secretIndex: 0 },
    error: { name: "Error", message: "database is down", code: "handler_failed" },
  });
  const cli = (...args: string[]) => cliOnce(["dead-letters", ...args], {});

  beforeAll(async () => {
    server = await startRedis();
    client = await makeClient("ioredis", server.url);
    runs = [];
    // the app: Express, idempotency in the same Redis
    const a = express();
    a.post(
      "/gemini-callback",
      geminiWebhooks({
        secret: SECRET,
        idempotency: redisStore(client.client),
        logger: false,
        on: {
          "*": (_e, ctx) => {
            runs.push(ctx.webhookId);
            if (failing) throw new Error("still down");
          },
        },
      }),
    );
    app = createServer(a).listen(0, "127.0.0.1");
    await once(app, "listening");
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/gemini-callback`;
  });
  afterAll(async () => {
    app?.closeAllConnections();
    await new Promise((r) => app?.close(r));
    await client?.close();
    await server?.dispose();
  });
  beforeEach(async () => {
    await client.flush();
    runs.length = 0;
    failing = false;
  });

  it("list prints the entries, newest first (text and --json)", async () => {
    await store().record(entry("msg_old"), T0);
    await store().record(entry("msg_new", "video.generated"), T0 + 60_000);
    await store().record(entry("msg_old"), T0 + 30_000);
    const r = await cli("list", "--redis-url", server.url);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe(
      [
        "2 dead letters, the most recently failed first:",
        "gemini:msg_new  video.generated  msg_new · v1 · 1 attempt, first 2027-01-15T08:01:00.000Z, last 2027-01-15T08:01:00.000Z",
        "  handler_failed: Error: database is down",
        "gemini:msg_old  batch.succeeded  msg_old · v1 · 2 attempts, first 2027-01-15T08:00:00.000Z, last 2027-01-15T08:00:30.000Z",
        "  handler_failed: Error: database is down",
        "",
      ].join("\n"),
    );
    const j = await cli("list", "--redis-url", server.url, "--json", "--limit", "1");
    expect(JSON.parse(j.stdout)).toEqual([{ ...entry("msg_new", "video.generated"), attempts: 1, firstSeen: T0 + 60_000, lastSeen: T0 + 60_000 }]);
    expect((await cli("list", "--redis-url", server.url, "--prefix", "other:")).stdout).toBe("no dead letters\n");
  });

  it("replay re-delivers under the original webhook-id: a new one runs, one processed meanwhile answers duplicate; both entries go", async () => {
    // msg_done failed, then Gemini's retry succeeded (its entry would normally have been removed; here it lingers)
    const delivered = await createSender({ url: appUrl, secret: SECRET }).send(entry("msg_done").event, { id: "msg_done" });
    expect(delivered.delivered).toBe(true);
    await store().record(entry("msg_done"), T0);
    await store().record(entry("msg_lost"), T0 + 1);
    runs.length = 0;
    const r = await cli("replay", "--all", "--redis-url", server.url, "--url", appUrl, "--secret", SECRET);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/^✔ batch\.succeeded msg_lost → 200 received after 1 attempt; entry deleted\n✔ batch\.succeeded msg_done → 200 duplicate after 1 attempt; processed meanwhile; entry deleted\n$/);
    expect(runs).toEqual(["msg_lost"]); // the handler ran for the lost one only, and once
    expect(await store().list()).toEqual([]);
    // replaying again finds nothing
    expect((await cli("replay", "msg_lost", "--redis-url", server.url, "--url", appUrl, "--secret", SECRET)).stderr).toMatch(/^error: no dead letter "msg_lost"/);
  });

  it("a replay the app still fails is retried, then kept; exit 1", async () => {
    failing = true;
    await store().record(entry("msg_x"), T0);
    const r = await cli("replay", "gemini:msg_x", "--redis-url", server.url, "--url", appUrl, "--secret", SECRET, "--max-attempts", "2", "--base-delay", "5");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✘ batch\.succeeded msg_x → 500 handler_failed after 2 attempts; entry kept\n$/);
    expect(r.stderr).toBe("error: 1 of 1 replay failed (last answer: 500 handler_failed); their entries are kept\n");
    expect(runs).toEqual(["msg_x", "msg_x"]);
    expect((await store().get("gemini:msg_x"))?.ctx.webhookId).toBe("msg_x");
  });

  it("delete drops entries by id or webhook-id", async () => {
    await store().record(entry("msg_a"), T0);
    await store().record(entry("msg_b"), T0);
    await store().record(entry("msg_c"), T0);
    const r = await cli("delete", "msg_a", "gemini:msg_b", "--redis-url", server.url);
    expect([r.code, r.stdout]).toEqual([0, "deleted 2 dead letters: gemini:msg_a, gemini:msg_b\n"]);
    expect((await store().list()).map((e) => e.id)).toEqual(["gemini:msg_c"]);
    expect((await cli("delete", "--all", "--redis-url", server.url, "--json")).stdout).toBe('{"deleted":["gemini:msg_c"]}\n');
  });

  it("finds an entry by id or webhook-id wherever it is, not only among the 100 newest", async () => {
    for (let i = 0; i < 150; i++) await store().record(entry(`msg_${i}`), T0 + i * 1000);
    // msg_0 and msg_1 are the two oldest: outside the default --limit of 100
    const r = await cli("delete", "msg_0", "gemini:msg_1", "--redis-url", server.url);
    expect([r.code, r.stderr, r.stdout]).toEqual([0, "", "deleted 2 dead letters: gemini:msg_0, gemini:msg_1\n"]);
    expect(await store().size()).toBe(148);
    const replay = await cli("replay", "msg_2", "--redis-url", server.url, "--url", appUrl, "--secret", SECRET);
    expect([replay.code, replay.stderr]).toEqual([0, ""]);
    expect(runs).toEqual(["msg_2"]);
  });

  it("a corrupt entry is skipped and reported; the others are listed and replayed", async () => {
    await store().record(entry("msg_ok"), T0);
    // an entry another tool (or a truncated write) left behind: not JSON, and one that is JSON but no dead letter
    for (const [id, json] of [["gemini:msg_bad", "{not json"], ["gemini:msg_odd", '{"event":null}']] as const) {
      const raw = client.client as Redis;
      await raw.hset("gemini-webhooks:{dead-letters}:event", id, json);
      await raw.zadd("gemini-webhooks:{dead-letters}:index", T0 + 5, id);
    }
    const r = await cli("list", "--redis-url", server.url);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1 dead letter, the most recently failed first:\ngemini:msg_ok /);
    expect(r.stderr).toMatch(/^warning: skipped dead letter gemini:msg_(bad|odd): .*\nwarning: skipped dead letter gemini:msg_(bad|odd): .*\n$/);
    const all = await cli("replay", "--all", "--redis-url", server.url, "--url", appUrl, "--secret", SECRET);
    expect(all.code).toBe(0);
    expect(runs).toEqual(["msg_ok"]);
  });

  it("usage and connection errors are one line", async () => {
    const port = await freePort();
    const cases: [string[], number, RegExp][] = [
      [[], 2, /^error: missing action: list, show, replay or delete/],
      [["purge"], 2, /^error: unknown action "purge"/],
      [["list"], 2, /^error: missing --redis-url/],
      [["list", "--redis-url", "localhost:6379"], 2, /^error: bad --redis-url/],
      [["replay", "x", "--redis-url", server.url], 2, /^error: replay needs --url/],
      [["replay", "x", "--redis-url", server.url, "--url", appUrl], 2, /^error: missing --secret/],
      [["replay", "--redis-url", server.url, "--url", appUrl, "--secret", SECRET], 2, /^error: replay needs the id of a dead letter/],
      [["list", "--redis-url", `redis://127.0.0.1:${port}`], 1, /^error: cannot connect to Redis at redis:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/],
    ];
    for (const [args, code, re] of cases) {
      const r = await cli(...args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});
