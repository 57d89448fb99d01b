import { execSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allFixtures, fixture, generateSecret, signStatic } from "@gemini-webhooks/testing";
import { PLATFORMS } from "./helpers.js";

// examples/nestjs, compiled by tsc to CommonJS (a Nest app's default build) and started as `node dist/main.js`,
// the way `pnpm --filter example-nestjs start` does; then driven over real HTTP.
const dir = fileURLToPath(new URL("../../examples/nestjs/", import.meta.url));
const SECRET = generateSecret();
const children: ChildProcess[] = [];

beforeAll(() => {
  execSync("pnpm run build", { cwd: dir, stdio: "pipe" });
}, 180_000);

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill();
});

/** Starts dist/main.js on a free port and resolves with its base URL once it listens. */
function start(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ["dist/main.js"], { cwd: dir, env: { ...process.env, PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)\/gemini-callback/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`example exited (${code}) before listening:\n${out}`)));
  });
}

async function post(url: string, d: { body: string; headers: Record<string, string> }) {
  const res = await fetch(url, { method: "POST", headers: d.headers, body: d.body });
  return { status: res.status, body: (await res.json()) as { status?: string; error?: { code: string; message: string } } };
}
const answer = (r: { status: number; body: { status?: string; error?: { code: string } } }) => `${r.status} ${r.body.status ?? r.body.error?.code}`;

describe.each(PLATFORMS)("examples/nestjs started with PLATFORM=%s", (platform) => {
  let base: string;
  beforeAll(async () => {
    base = await start({ GEMINI_WEBHOOK_SECRET: SECRET, PLATFORM: platform });
  }, 60_000);

  it("answers core's table on /gemini-callback (the @OnGeminiEvent handlers' route)", async () => {
    const url = `${base}/gemini-callback`;
    const deliveries = allFixtures().map((event) => signStatic({ event, secret: SECRET }));
    for (const d of deliveries) expect(answer(await post(url, d))).toBe("200 received");
    expect(answer(await post(url, deliveries[0]!))).toBe("200 duplicate");
    expect(answer(await post(url, signStatic({ event: fixture("batch.succeeded"), secret: generateSecret() })))).toBe("400 signature_mismatch");
    const d = signStatic({ event: fixture("batch.succeeded"), secret: SECRET });
    expect(answer(await post(url, { ...d, body: d.body.replace("gs://my-bucket", "gs://evil") }))).toBe("400 signature_mismatch");
    const stale = signStatic({ event: fixture("batch.succeeded"), secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(answer(await post(url, stale))).toBe("400 timestamp_too_old");
    const { "webhook-signature": _sig, ...unsigned } = d.headers;
    expect(answer(await post(url, { ...d, headers: unsigned }))).toBe("400 missing_header");
    const big = signStatic({ event: fixture("batch.succeeded", { output_file_uri: "x".repeat(2 << 20) }), secret: SECRET });
    expect(answer(await post(url, big))).toBe("413 body_too_large");
    const get = await fetch(url);
    expect([get.status, get.headers.get("allow"), ((await get.json()) as { error: { code: string } }).error.code]).toEqual([405, "POST", "method_not_allowed"]);
  });

  it("answers on the guarded route /webhooks/gemini, and the rest of the app works", async () => {
    const url = `${base}/webhooks/gemini`;
    const d = signStatic({ event: fixture("video.generated"), secret: SECRET });
    expect(answer(await post(url, d))).toBe("200 received");
    expect(answer(await post(url, d))).toBe("200 duplicate");
    expect(answer(await post(url, { ...d, body: d.body.replace("vid_0001", "vid_0002") }))).toBe("400 signature_mismatch");
    const health = await fetch(`${base}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { ok: true }]);
  });
});

describe("examples/nestjs", () => {
  it("refuses to start without a secret, saying which variable to set", () => {
    const r = spawnSync(process.execPath, ["dist/main.js"], { cwd: dir, env: { ...process.env, GEMINI_WEBHOOK_SECRET: "", PORT: "0" }, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/GEMINI_WEBHOOK_SECRET/);
  });

  it("its demo (every event type, forged, tampered, replayed, duplicate, failing handler then retry; both platforms) passes", () => {
    const r = spawnSync(process.execPath, ["dist/demo.js"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, encoding: "utf8" });
    expect(r.stdout).toMatch(/all 38 rows behaved/);
    expect(r.status).toBe(0);
  });
});
