import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSecret, signStatic } from "@gemini-webhooks/testing";

// Builds the real example (examples/next) with `next build`, starts it with `next start` on 127.0.0.1 and
// posts signed deliveries to its three routes. Next.js 15 builds the example in place; Next.js 16 builds a
// copy of it (examples/next/.e2e-next16, gitignored) whose `next` is the 16 release from test/package.json.
// The example imports the BUILT packages: CI runs `pnpm build` first; a local run builds them when missing.

const root = fileURLToPath(new URL("../../", import.meta.url));
const example = join(root, "examples/next");
const SECRET = generateSecret();
const ROUTES = ["/api/gemini", "/api/gemini-edge", "/api/gemini-pages"] as const;
const BUILD_MS = 300_000;

function ensurePackagesBuilt(): void {
  const missing = ["core", "next"].filter((p) => !existsSync(join(root, `packages/${p}/dist/index.js`)));
  if (missing.length === 0) return;
  const args = ["-s", ...missing.flatMap((p) => ["--filter", `@gemini-webhooks/${p}`]), "build"];
  const r = spawnSync("pnpm", args, { cwd: root, stdio: "pipe", encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building ${missing.join(", ")} failed:\n${r.stdout}${r.stderr}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function nextEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...extra };
  delete env.NODE_OPTIONS; // vitest's loader flags must not leak into Next
  delete env.VITEST;
  delete env.NODE_ENV; // next build / next start set it themselves
  return env;
}

function build(dir: string, nextBin: string): string {
  const env = nextEnv();
  delete env.GEMINI_WEBHOOK_SECRET; // the build must not need the secret
  const r = spawnSync(process.execPath, [nextBin, "build"], { cwd: dir, env, encoding: "utf8", timeout: BUILD_MS });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`next build failed in ${dir} (status ${r.status}):\n${out}`);
  return out;
}

interface Started {
  base: string;
  proc: ChildProcess;
  log: () => string;
}

async function start(dir: string, nextBin: string): Promise<Started> {
  const port = await freePort();
  const proc = spawn(process.execPath, [nextBin, "start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: dir,
    env: nextEnv({ GEMINI_WEBHOOK_SECRET: SECRET }),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so afterAll ends it and anything it spawned
  });
  let out = "";
  proc.stdout!.on("data", (c) => (out += c));
  proc.stderr!.on("data", (c) => (out += c));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`next start exited (${proc.exitCode}):\n${out}`);
    try {
      await fetch(`${base}/api/gemini-pages`, { method: "GET" });
      return { base, proc, log: () => out };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`next start did not answer:\n${out}`);
}

async function stop(s: Started | undefined): Promise<void> {
  if (!s || s.proc.exitCode !== null || s.proc.pid === undefined) return;
  const exited = new Promise((r) => s.proc.once("exit", r));
  try {
    process.kill(-s.proc.pid, "SIGTERM");
  } catch {
    s.proc.kill("SIGTERM");
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (s.proc.exitCode === null && s.proc.signalCode === null) process.kill(-s.proc.pid, "SIGKILL");
}

type Delivery = { body: string; headers: Record<string, string> };
async function post(base: string, path: string, d: Delivery) {
  const res = await fetch(base + path, { method: "POST", body: d.body, headers: d.headers });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as any, headers: res.headers };
}

const event = (id: string) => ({ type: "batch.succeeded", version: "v1", timestamp: new Date().toISOString(), data: { id, output_file_uri: `gs://bucket/${id}.jsonl` } });

/** Waits (up to 5 s) for the server's stdout, which may trail the HTTP answer, to show a line. */
async function logged(log: () => string, text: string): Promise<void> {
  for (let i = 0; i < 50 && !log().includes(text); i++) await new Promise((r) => setTimeout(r, 100));
}

/** The same battery against each route of a running example. */
function battery(get: () => Started) {
  describe.each(ROUTES)("%s", (path) => {
    const tag = path.replace(/\W/g, "_");

    it("valid → 200 received, and the typed handler ran", async () => {
      const { base, log } = get();
      const d = signStatic({ event: event(`b${tag}`), secret: SECRET, id: `msg_valid${tag}` });
      const a = await post(base, path, d);
      expect([a.status, a.body]).toEqual([200, { status: "received" }]);
      expect(a.headers.get("content-type")).toMatch(/^application\/json/);
      await logged(log, `msg_valid${tag}`);
      expect(log()).toContain(`[gemini] batch b${tag} succeeded: gs://bucket/b${tag}.jsonl (msg_valid${tag}, v1)`);
    });

    it("duplicate → 200 duplicate, the handler not run twice", async () => {
      const { base, log } = get();
      const d = signStatic({ event: event(`d${tag}`), secret: SECRET, id: `msg_dup${tag}` });
      expect((await post(base, path, d)).body).toEqual({ status: "received" });
      await logged(log, `batch d${tag} succeeded`);
      expect((await post(base, path, d)).body).toEqual({ status: "duplicate" });
      expect((await post(base, path, d)).body).toEqual({ status: "duplicate" });
      expect(log().split(`batch d${tag} succeeded`).length - 1).toBe(1);
    });

    it("tampered → 400 signature_mismatch", async () => {
      const { base } = get();
      const d = signStatic({ event: event(`t${tag}`), secret: SECRET, id: `msg_tamper${tag}` });
      const a = await post(base, path, { ...d, body: d.body.replace("gs://bucket", "gs://evil") });
      expect([a.status, a.body.error.code]).toEqual([400, "signature_mismatch"]);
      const wrongKey = signStatic({ event: event(`t${tag}`), secret: generateSecret(), id: `msg_tamper2${tag}` });
      expect((await post(base, path, wrongKey)).body.error.code).toBe("signature_mismatch");
    });

    it("stale → 400 timestamp_too_old; from the future → 400 timestamp_too_new", async () => {
      const { base } = get();
      const now = Math.floor(Date.now() / 1000);
      const old = await post(base, path, signStatic({ event: event("s"), secret: SECRET, id: `msg_old${tag}`, timestamp: now - 600 }));
      expect([old.status, old.body.error.code]).toEqual([400, "timestamp_too_old"]);
      const future = await post(base, path, signStatic({ event: event("s"), secret: SECRET, id: `msg_new${tag}`, timestamp: now + 600 }));
      expect([future.status, future.body.error.code]).toEqual([400, "timestamp_too_new"]);
    });

    it("missing headers → 400 missing_header; oversized → 413; GET → 405", async () => {
      const { base } = get();
      const d = signStatic({ event: event("m"), secret: SECRET, id: `msg_miss${tag}` });
      const { "webhook-signature": _drop, ...noSig } = d.headers;
      const missing = await post(base, path, { ...d, headers: noSig });
      expect([missing.status, missing.body.error.code]).toEqual([400, "missing_header"]);
      const big = await post(base, path, signStatic({ body: JSON.stringify({ type: "batch.expired", data: { id: "x".repeat(1.5 * 2 ** 20) } }), secret: SECRET }));
      expect([big.status, big.body.error.code]).toEqual([413, "body_too_large"]);
      const get405 = await fetch(base + path);
      expect(get405.status).toBe(405);
      expect(((await get405.json()) as any).error.code).toBe("method_not_allowed");
    });
  });
}

describe("examples/next on Next.js 15 (next build + next start)", () => {
  let s: Started | undefined;
  const nextBin = join(example, "node_modules/next/dist/bin/next");

  beforeAll(async () => {
    ensurePackagesBuilt();
    const out = build(example, nextBin);
    expect(out).toMatch(/Next\.js 15\./);
    s = await start(example, nextBin);
  }, BUILD_MS + 60_000);
  afterAll(() => stop(s), 20_000);

  battery(() => s!);
});

describe("examples/next on Next.js 16 (a copy built with the 16 release)", () => {
  let s: Started | undefined;
  const dir = join(example, ".e2e-next16");
  const nextBin = join(dir, "node_modules/next/dist/bin/next");

  beforeAll(async () => {
    ensurePackagesBuilt();
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, "node_modules/@gemini-webhooks"), { recursive: true });
    mkdirSync(join(dir, "node_modules/@types"), { recursive: true });
    for (const f of ["app", "pages", "lib", "next.config.mjs", "tsconfig.json", "package.json"]) cpSync(join(example, f), join(dir, f), { recursive: true });
    const link = (from: string, to: string) => symlinkSync(realpathSync(from), join(dir, "node_modules", to));
    link(join(root, "test/node_modules/next16"), "next");
    for (const p of ["react", "react-dom", "typescript", "@types/node", "@types/react", "@gemini-webhooks/next"]) link(join(example, "node_modules", p), p);
    // The mistake the Pages handler must explain: a route without `config = { api: { bodyParser: false } }`.
    // Typed with Next's own NextApiHandler, so the build's type check proves the handler fits it.
    writeFileSync(
      join(dir, "pages/api/gemini-pages-parsed.ts"),
      [
        'import type { NextApiHandler } from "next";',
        'import { geminiPagesHandler } from "@gemini-webhooks/next";',
        "const handler: NextApiHandler = geminiPagesHandler({ secret: process.env.GEMINI_WEBHOOK_SECRET });",
        "export default handler;",
        "",
      ].join("\n"),
    );
    const out = build(dir, nextBin);
    expect(out).toMatch(/Next\.js 16\./);
    s = await start(dir, nextBin);
  }, BUILD_MS + 60_000);
  afterAll(async () => {
    await stop(s);
    rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  battery(() => s!);

  it("a Pages route without bodyParser: false answers 500 configuration naming the fix", async () => {
    const a = await post(s!.base, "/api/gemini-pages-parsed", signStatic({ event: event("p"), secret: SECRET }));
    expect([a.status, a.body.error.code]).toEqual([500, "configuration"]);
    expect(a.body.error.message).toContain("export const config = { api: { bodyParser: false } };");
  });
});
