// `gemini-webhooks postgres migrate` and `dead-letters … --database-url` against a real PostgreSQL (started by
// test/support/postgres.ts), with entries recorded by a real receiver whose deadLetters is postgresDeadLetters.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createGeminiWebhooks, type DeadLetterInput } from "@gemini-webhooks/core";
import { postgresDeadLetters, postgresStore, type PostgresDeadLetters } from "@gemini-webhooks/postgres";
import { fixture, generateSecret, signStatic } from "@gemini-webhooks/testing";
import { cliOnce } from "../../../test/support/cli.js";
import { serve, fetchListener, type Running } from "../../../test/support/http.js";
import { describePostgres, startPostgres, usePostgres, type PostgresServer } from "../../../test/support/postgres.js";
import { freePort } from "../../../test/support/redis-server.js";
import { until } from "../../../test/support/wait.js";

const PW = "s3cr3t-PG-pw";

/** The server's URL with a password in it (trust authentication: any password is accepted). */
const withPassword = (url: string) => url.replace("postgres://postgres@", `postgres://postgres:${PW}@`);

async function tables(pool: pg.Pool, schema: string): Promise<string[]> {
  const r = await pool.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", [schema]);
  return r.rows.map((row: { table_name: string }) => row.table_name);
}

describe("postgres / dead-letters --database-url: usage and unreachable database", () => {
  it("usage errors are one line, exit 2, before any connection", async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["postgres"], {}, /^error: missing action: migrate/],
      [["postgres", "drop"], {}, /^error: unknown action "drop": use migrate/],
      [["postgres", "migrate"], {}, /^error: missing --database-url .*DATABASE_URL/],
      [["postgres", "migrate", "--database-url", "mysql://root:hunter2@db:3306/app"], {}, /^error: bad --database-url "mysql:\/\/root:\*\*\*@db:3306\/app"/],
      [["postgres", "migrate", "--database-url", "postgres://root:hunter2@db:port/app"], {}, /^error: bad --database-url "postgres:\/\/root:\*\*\*@db:port\/app"/],
      [["postgres", "migrate", "--database-url", "postgres://db/app", "--schema", "x; DROP SCHEMA public"], {}, /^error: bad --schema "x; DROP SCHEMA public": a plain identifier/],
      [["dead-letters", "list", "--database-url", "postgres://db/app", "--redis-url", "redis://cache"], {}, /^error: give one of --app .* not --redis-url and --database-url/],
      [["dead-letters", "list", "--redis-url", "redis://cache", "--schema", "s"], {}, /^error: --schema is the postgresDeadLetters schema: it needs --database-url/],
      [["dead-letters", "list", "--database-url", "postgres://db/app", "--prefix", "p:"], {}, /^error: --prefix is the redisDeadLetters prefix/],
      [["dead-letters", "show", "--all", "--database-url", "postgres://db/app"], {}, /^error: show takes ids, not --all/],
      [["dead-letters", "replay", "x", "--database-url", "postgres://db/app"], {}, /^error: replay needs --url/],
      [["dead-letters", "show", "--database-url", "postgres://db/app"], {}, /^error: show needs the id of a dead letter \(see: gemini-webhooks dead-letters list\)\n$/],
      [["dead-letters", "list"], {}, /^error: missing --redis-url or --database-url/],
    ];
    for (const [args, env, re] of cases) {
      const r = await cliOnce(args, env);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stdout + r.stderr).not.toContain("hunter2");
    }
  });

  it("$REDIS_URL still wins over $DATABASE_URL, with a note; a flag picks the store without one", async () => {
    const port = await freePort();
    const env = { REDIS_URL: `redis://127.0.0.1:${port}`, DATABASE_URL: `postgres://app:${PW}@127.0.0.1:${port}/app` };
    const both = await cliOnce(["dead-letters", "list"], env);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/^note: using \$REDIS_URL \(DATABASE_URL is set too: pass --database-url .*\)\nerror: cannot connect to Redis/);
    const flag = await cliOnce(["dead-letters", "list", "--database-url", env.DATABASE_URL], env);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/^error: cannot connect to Postgres at postgres:\/\/app:\*\*\*@/);
    expect(both.stderr + flag.stderr).not.toContain(PW);
  });

  it("an unreachable database: exit 1, one clear line, the password masked, no stack trace", async () => {
    const port = await freePort();
    const url = `postgres://app:${PW}@127.0.0.1:${port}/app`;
    for (const [args, env] of [
      [["postgres", "migrate", "--database-url", url], {}],
      [["postgres", "migrate"], { DATABASE_URL: url }],
      [["dead-letters", "list", "--database-url", url], {}],
      [["dead-letters", "list"], { DATABASE_URL: url }],
    ] as [string[], Record<string, string>][]) {
      const r = await cliOnce(args, env);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(new RegExp(`^error: cannot connect to Postgres at postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/app: .*ECONNREFUSED`));
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout + r.stderr).not.toContain(PW);
    }
  });
});

describePostgres("gemini-webhooks postgres migrate", () => {
  const db = usePostgres();

  it("creates the tables, says which; a second run creates nothing; the password is masked", async () => {
    const url = withPassword(db.server.url);
    const shown = db.server.url.replace("postgres://postgres@", "postgres://postgres:***@");
    const first = await cliOnce(["postgres", "migrate", "--database-url", url, "--schema", "cli_mig"]);
    expect([first.code, first.stderr]).toEqual([0, ""]);
    expect(first.stdout).toBe(`✔ created cli_mig.dead_letters, cli_mig.idempotency, cli_mig.kv in ${shown}\n`);
    expect(await tables(db.pool, "cli_mig")).toEqual(["dead_letters", "idempotency", "kv"]);
    const second = await cliOnce(["postgres", "migrate", "--database-url", url, "--schema", "cli_mig"]);
    expect([second.code, second.stderr]).toEqual([0, ""]);
    expect(second.stdout).toBe(`✔ nothing to do: cli_mig.dead_letters, cli_mig.idempotency, cli_mig.kv already exist in ${shown}\n`);
    const json = await cliOnce(["postgres", "migrate", "--json", "--schema", "cli_mig"], { DATABASE_URL: url });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ database: shown, schema: "cli_mig", created: [], tables: ["dead_letters", "idempotency", "kv"] });
    for (const r of [first, second, json]) expect(r.stdout + r.stderr).not.toContain(PW);
  });

  it("$DATABASE_URL and the default schema; the store then runs on the tables it made", async () => {
    const r = await cliOnce(["postgres", "migrate", "--json"], { DATABASE_URL: db.server.url });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ schema: "gemini_webhooks", created: ["dead_letters", "idempotency", "kv"] });
    const store = postgresStore({ pool: db.pool });
    expect(await store.claim("gemini:m1")).toBe("new");
  });
});

describePostgres("gemini-webhooks dead-letters --database-url", () => {
  const SECRET = generateSecret();
  const schema = "cli_dl";
  let server: PostgresServer;
  let pool: pg.Pool;
  let store: PostgresDeadLetters;
  let app: Running;
  let fail = true;
  const runs: string[] = [];
  const cli = (...args: string[]) => cliOnce(["dead-letters", ...args, "--database-url", withPassword(server.url), "--schema", schema]);
  const delivery = (id: string) => ({
    ...signStatic({ event: fixture("batch.succeeded", { id: `batches/${id}` }), secret: SECRET, id }),
    method: "POST",
  });

  beforeAll(async () => {
    server = await startPostgres();
    pool = new pg.Pool({ connectionString: server.url, max: 8 });
    store = postgresDeadLetters({ pool, schema });
    const webhooks = createGeminiWebhooks({
      secret: SECRET,
      logger: false,
      deadLetters: store,
      idempotency: postgresStore({ pool, schema }),
      on: {
        "batch.succeeded": (_e, ctx) => {
          if (fail) throw new Error(`downstream down for ${ctx.webhookId}`);
          runs.push(ctx.webhookId);
        },
      },
    });
    for (const id of ["msg_a", "msg_b", "msg_c"]) expect((await webhooks.handle(delivery(id))).status).toBe(500);
    await until(async () => (await store.size()) === 3, "the receiver to record three dead letters");
    app = await serve(fetchListener(webhooks.fetch));
  });
  afterAll(async () => {
    await app?.close();
    await pool?.end();
    await server?.dispose();
  });

  it("list prints what the receiver recorded, most recent first; --json too; no password anywhere", async () => {
    const r = await cli("list");
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/^3 dead letters, the most recently failed first:\n/);
    for (const id of ["msg_a", "msg_b", "msg_c"]) expect(r.stdout).toMatch(new RegExp(`gemini:${id}  batch\\.succeeded  ${id} · v1 · 1 attempt`));
    expect(r.stdout).toContain("handler_failed: Error: downstream down for msg_a");
    const json = await cli("list", "--json", "--limit", "2");
    expect(JSON.parse(json.stdout).map((e: { ctx: { webhookId: string } }) => e.ctx.webhookId)).toHaveLength(2);
    for (const x of [r, json]) expect(x.stdout + x.stderr).not.toContain(PW);
  });

  it("show prints one entry in full, by its id or its webhook-id; an unknown id is exit 1", async () => {
    const r = await cli("show", "msg_b");
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/^gemini:msg_b  batch\.succeeded\n  webhook-id  msg_b \(v1\)\n  failed      1 attempt, first .*\n  error       handler_failed: Error: downstream down for msg_b\n  event       \{\n/);
    expect(r.stdout).toContain('"id": "batches/msg_b"');
    const json = await cli("show", "gemini:msg_b", "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ id: "gemini:msg_b", attempts: 1, ctx: { webhookId: "msg_b", scheme: "v1" }, event: { data: { id: "batches/msg_b" } } });
    const missing = await cli("show", "msg_nope");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: no dead letter "msg_nope"/);
  });

  it("delete removes the entry from the store", async () => {
    const r = await cli("delete", "msg_c");
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "deleted 1 dead letter: gemini:msg_c\n", ""]);
    expect(await store.get("gemini:msg_c")).toBeUndefined();
    expect(await store.size()).toBe(2);
  });

  it("replay over HTTP: re-signed v1 under the webhook-id, entry deleted; a JWT entry is refused and kept", async () => {
    fail = false;
    const r = await cli("replay", "msg_a", "--url", `${app.base}/gemini-callback`, "--secret", SECRET);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/batch\.succeeded msg_a → 200 received after 1 attempt; entry deleted/);
    expect(runs).toEqual(["msg_a"]);
    expect(await store.get("gemini:msg_a")).toBeUndefined();

    const jwt: DeadLetterInput = {
      id: "jwt:batches/j1",
      event: fixture("batch.succeeded", { id: "batches/j1" }),
      ctx: { webhookId: "msg_jwt", timestamp: new Date().toISOString(), scheme: "jwt", secretIndex: 0 },
      error: { name: "Error", message: "down", code: "handler_failed" },
    } as unknown as DeadLetterInput;
    await store.record(jwt, Date.now());
    const refused = await cli("replay", "msg_jwt", "--url", `${app.base}/gemini-callback`, "--secret", SECRET);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/✘ batch\.succeeded msg_jwt → not replayed .*replay it with --app MODULE/);
    expect(await store.get("jwt:batches/j1")).toBeDefined();
    expect(runs).toEqual(["msg_a"]);
  });
});

describePostgres("gemini-webhooks dead-letters --app, a receiver whose deadLetters is postgresDeadLetters", () => {
  const schema = "cli_app";
  const appPath = new URL("./fixtures/pg-app.ts", import.meta.url).pathname;
  let server: PostgresServer;
  let mod: typeof import("./fixtures/pg-app.js");
  const flag = globalThis as { pgAppFail?: boolean };

  beforeAll(async () => {
    server = await startPostgres();
    process.env.PG_APP_URL = server.url;
    process.env.PG_APP_SCHEMA = schema;
    mod = await import("./fixtures/pg-app.js");
    await mod.pool.query(`CREATE TABLE ${schema}_effects (webhook_id text NOT NULL)`);
  });
  afterAll(async () => {
    delete flag.pgAppFail;
    await mod?.pool.end();
    await server?.dispose();
  });

  it("replays through the receiver's own deadLetters.replay (a transaction, ctx.db), once; the entry goes", async () => {
    const effects = async () => Number((await mod.pool.query(`SELECT count(*) AS n FROM ${schema}_effects`)).rows[0].n);
    flag.pgAppFail = true;
    const d = { ...signStatic({ event: fixture("batch.succeeded"), secret: mod.SECRET, id: "msg_app" }), method: "POST" };
    expect((await mod.webhooks.handle(d)).status).toBe(500);
    await until(async () => (await mod.webhooks.deadLetters.list()).length === 1, "the dead letter to be recorded");
    expect(await effects()).toBe(0); // rolled back with the failure

    const listed = await cliOnce(["dead-letters", "list", "--app", appPath]);
    expect([listed.code, listed.stderr]).toEqual([0, ""]);
    expect(listed.stdout).toMatch(/^1 dead letter, .*\ngemini:msg_app  batch\.succeeded  msg_app · v1/);

    flag.pgAppFail = false;
    const r = await cliOnce(["replay", "msg_app", "--app", appPath]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/✔ batch\.succeeded msg_app → 200 received by the receiver itself; entry deleted/);
    expect(await effects()).toBe(1);
    await until(async () => (await mod.webhooks.deadLetters.list()).length === 0, "the entry to go");
    expect((await mod.webhooks.handle(d)).body).toEqual({ status: "duplicate" });
    expect(await effects()).toBe(1);
  });
});
