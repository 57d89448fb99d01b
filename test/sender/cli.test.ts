import { execFile, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks, type GeminiWebhooksOptions } from "@gemini-webhooks/core";
import { generateSecret } from "@gemini-webhooks/testing";
import { runCli } from "../../packages/cli/src/main.js";
import { CLI, ensureBuilt, sleep } from "../support/sender.js";

// The `gemini-webhooks` bin, built (dist/cli.cjs) and spawned as a user would run it, against the
// runnable examples/express app and against its own `listen` receiver.
const appPath = new URL("../../examples/express/app.mjs", import.meta.url).href;
const SECRET = generateSecret();
const ESC = "\x1b[";
let tmp: string;

beforeAll(() => {
  ensureBuilt("core");
  ensureBuilt("testing");
  ensureBuilt("cli", "bin.cjs");
  tmp = mkdtempSync(join(tmpdir(), "gw-cli-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: join(tmp, "config") };
  delete e.GEMINI_WEBHOOK_SECRET;
  delete e.GEMINI_WEBHOOK_URL;
  delete e.FORCE_COLOR;
  return { ...e, ...extra };
}

/** Runs the built CLI to completion. */
async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: env(extraEnv), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c));
  child.stderr.on("data", (c: Buffer) => (stderr += c));
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}

/** A long-running CLI process (listen): output so far, a wait for a line, and a Ctrl-C. */
function background(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [CLI, ...args], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  child.stdout!.on("data", (c: Buffer) => (out.stdout += c));
  child.stderr!.on("data", (c: Buffer) => (out.stderr += c));
  const closed = once(child, "close") as Promise<[number | null]>;
  cleanups.push(() => child.exitCode === null && child.kill("SIGKILL"));
  return {
    out,
    async waitFor(re: RegExp, from: "stdout" | "stderr" = "stdout"): Promise<RegExpMatchArray> {
      for (let i = 0; i < 400; i++) {
        const m = out[from].match(re);
        if (m) return m;
        if (child.exitCode !== null) break;
        await sleep(25);
      }
      throw new Error(`no ${re} in ${from}:\n${out.stdout}\n${out.stderr}`);
    },
    async interrupt(): Promise<number | null> {
      child.kill("SIGINT");
      return (await closed)[0];
    },
  };
}

/** examples/express, listening on 127.0.0.1, recording each handled event. */
async function exampleApp(options: Partial<GeminiWebhooksOptions> = {}) {
  const events: { event: any; id: string; scheme: string }[] = [];
  const { createApp } = (await import(appPath)) as { createApp: (o: GeminiWebhooksOptions) => { listen(p: number, h: string): Server } };
  const server = createApp({ secret: SECRET, on: { "*": (event, ctx) => void events.push({ event, id: ctx.webhookId, scheme: ctx.scheme }) }, ...options } as GeminiWebhooksOptions).listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gemini-callback`, events };
}

async function freePort(): Promise<number> {
  const s = createServer().listen(0, "127.0.0.1");
  await once(s, "listening");
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe("gemini-webhooks secret / help / usage errors", { timeout: 60_000 }, () => {
  it("secret prints a fresh whsec_ secret of 32 (or --bytes) random bytes", async () => {
    const a = await cli(["secret"]);
    const b = await cli(["secret"]);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^whsec_[A-Za-z0-9+/]+=*\n$/);
    expect(Buffer.from(a.stdout.trim().slice(6), "base64")).toHaveLength(32);
    expect(a.stdout).not.toBe(b.stdout);
    const c = await cli(["secret", "--bytes", "24"]);
    expect(Buffer.from(c.stdout.trim().slice(6), "base64")).toHaveLength(24);
    // the secret is accepted by the receiver
    expect(() => createGeminiWebhooks({ secret: a.stdout.trim() })).not.toThrow();
  });

  it("has help for the tool and for each command, without colour when not on a terminal", async () => {
    for (const [args, heading] of [
      [["--help"], "Usage: gemini-webhooks <command>"],
      [["help"], "Usage: gemini-webhooks <command>"],
      [["help", "trigger"], "Usage: gemini-webhooks trigger <event-type>"],
      [["trigger", "--help"], "Usage: gemini-webhooks trigger <event-type>"],
      [["listen", "-h"], "Usage: gemini-webhooks listen"],
      [["sign", "--help"], "Usage: gemini-webhooks sign <event-type>"],
      [["secret", "--help"], "Usage: gemini-webhooks secret"],
    ] as const) {
      const r = await cli([...args]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(r.stdout).toContain(heading);
      expect(r.stdout).not.toContain(ESC);
    }
    expect((await cli(["trigger", "--help"])).stdout).toContain("batch.succeeded, batch.completed");
  });

  it("exits non-zero with a one-line reason on bad usage", async () => {
    const cases: [string[], number, RegExp][] = [
      [["deploy"], 2, /^error: unknown command "deploy"/],
      [["trigger", "batch.succeeded"], 2, /^error: missing --secret/],
      [["trigger", "batch.succeeded", "--secret", "hunter2"], 2, /^error: --secret is not a signing secret/],
      [["trigger", "batch.succeeded", "--secret", SECRET, "--url", "localhost:3000/x"], 2, /^error: bad URL "localhost:3000\/x"/],
      [["trigger", "batch.succeeded", "--secret", SECRET, "--url", "not a url"], 2, /^error: bad URL/],
      [["trigger", "batch.sucess", "--secret", SECRET], 2, /^error: unknown event type "batch.sucess" \(did you mean batch.succeeded\?\)/],
      [["trigger", "--secret", SECRET], 2, /^error: missing <event-type>/],
      [["trigger", "batch.succeeded", "--secret", SECRET, "--count", "0"], 2, /^error: --count must be an integer from 1 to 1000000, got "0"/],
      [["trigger", "batch.succeeded", "--bogus"], 2, /^error: unknown option --bogus for trigger/],
      [["trigger", "batch.succeeded", "--url"], 2, /^error: option --url/],
      [["trigger", "batch.succeeded", "--secret", SECRET, "--dynamic"], 2, /^error: give --secret .* or --dynamic/],
      [["sign", "batch.succeeded", "--secret", SECRET, "--data", "novalue"], 2, /^error: --data takes key=value/],
      [["sign", "batch.succeeded", "--secret", SECRET, "--data", "n:={bad"], 2, /^error: --data n:=… is not valid JSON/],
      [["sign", "batch.succeeded", "--dynamic"], 2, /^error: sign prints static/],
      [["listen", "--port", "99999"], 2, /^error: --port must be an integer from 0 to 65535/],
      [["secret", "--bytes", "8"], 2, /^error: --bytes must be an integer from 16 to 64/],
    ];
    const results: Awaited<ReturnType<typeof cli>>[] = [];
    for (let i = 0; i < cases.length; i += 4) results.push(...(await Promise.all(cases.slice(i, i + 4).map(([args]) => cli(args)))));
    for (const [i, [args, code, re]] of cases.entries()) {
      const r = results[i]!;
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code, stdout: "" });
      expect(r.stderr.split("\n").filter(Boolean), args.join(" ")).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage: gemini-webhooks");
    expect(none.stderr.trim().split("\n").pop()).toBe("error: missing command (trigger, listen, sign, secret, dead-letters, replay, postgres, doctor or webhooks)");
  });
});

describe("gemini-webhooks trigger → examples/express", { timeout: 60_000 }, () => {
  it("delivers a signed event with --data and --metadata overrides; exit 0", async () => {
    const app = await exampleApp();
    const r = await cli([
      "trigger", "batch.failed", "--url", app.url, "--secret", SECRET,
      "--data", "error_code=INTERNAL", "--data", "error_message=model down", "--data", "extra.retries:=3", "--metadata", "job=nightly",
    ]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/^✔ batch\.failed msg_\w+ → 200 received after 1 attempt/);
    expect(r.stdout).not.toContain(ESC);
    expect(app.events).toHaveLength(1);
    const { event, scheme } = app.events[0]!;
    expect(scheme).toBe("v1");
    expect(event).toMatchObject({
      type: "batch.failed",
      version: "v1",
      data: { id: "batches/batch_123460", error_code: "INTERNAL", error_message: "model down", extra: { retries: 3 } },
      user_metadata: { job: "nightly" },
    });
    expect(Math.abs(Date.parse(event.timestamp) - Date.now())).toBeLessThan(60_000);
  });

  it("--count N sends N events with their own webhook-ids and prints the statistics; GEMINI_WEBHOOK_SECRET/URL are the defaults", async () => {
    const app = await exampleApp();
    const r = await cli(["trigger", "video.generated", "--count", "5"], { GEMINI_WEBHOOK_SECRET: SECRET, GEMINI_WEBHOOK_URL: app.url });
    expect(r.code).toBe(0);
    expect(new Set(app.events.map((e) => e.id)).size).toBe(5);
    expect(r.stdout.match(/^✔ video\.generated/gm)).toHaveLength(5);
    expect(r.stdout).toContain("deliveries 5: 5 delivered, 0 failed");
  });

  it("--duplicates and --json: the duplicates are answered \"duplicate\" and run no handler", async () => {
    const app = await exampleApp();
    const r = await cli(["trigger", "batch.succeeded", "--url", app.url, "--secret", SECRET, "--count", "3", "--duplicates", "1", "--base-delay", "10", "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { stats: { delivered: number; duplicatesSent: number; answers: Record<string, number> }; deliveries: { id: string; duplicates: { answer: string }[] }[] };
    expect(j.stats).toMatchObject({ delivered: 3, duplicatesSent: 3, answers: { "200 received": 3, "200 duplicate": 3 } });
    expect(j.deliveries.map((d) => d.duplicates.map((x) => x.answer))).toEqual([["duplicate"], ["duplicate"], ["duplicate"]]);
    expect(app.events).toHaveLength(3);
  });

  it("retries a failing handler with backoff, then exits 1 with the last answer", async () => {
    let calls = 0;
    const app = await exampleApp({ on: { "*": () => { calls++; throw new Error("db down"); } } });
    const r = await cli(["trigger", "batch.succeeded", "--url", app.url, "--secret", SECRET, "--max-attempts", "3", "--base-delay", "20"]);
    expect(r.code).toBe(1);
    expect(calls).toBe(3);
    expect(r.stdout).toMatch(/attempt 1 batch\.succeeded msg_\w+ → 500 handler_failed: .*\(will retry\)/);
    expect(r.stdout).toMatch(/attempt 3 .*\(giving up\)/);
    // the reason is printed once, on the first attempt that answered it; the error line names the answer
    expect(r.stderr).toMatch(/^error: delivery failed after 3 attempts: 500 handler_failed\n$/);
    expect((r.stdout + r.stderr).match(/A handler for batch.succeeded failed/g)).toHaveLength(1);
  });

  it("a handler that fails once is retried and delivered", async () => {
    let calls = 0;
    const app = await exampleApp({ on: { "*": () => { if (++calls === 1) throw new Error("flaky"); } } });
    const r = await cli(["trigger", "batch.succeeded", "--url", app.url, "--secret", SECRET, "--base-delay", "20"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/→ 200 received after 2 attempts/);
  });

  it("a wrong secret or no receiver: exit 1 and a reason that says what to check", async () => {
    const app = await exampleApp();
    const wrong = await cli(["trigger", "batch.succeeded", "--url", app.url, "--secret", generateSecret(), "--max-attempts", "1"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error: delivery failed after 1 attempt: 400 signature_mismatch \(is --secret the receiver's secret\?\)\n$/);
    expect(wrong.stdout).toMatch(/attempt 1 .* → 400 signature_mismatch: No signature matched; .* \(giving up\)/);
    const port = await freePort();
    const gone = await cli(["trigger", "batch.succeeded", "--url", `http://127.0.0.1:${port}/gemini-callback`, "--secret", SECRET, "--max-attempts", "2", "--base-delay", "10"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: delivery failed after 2 attempts: network error \(ECONNREFUSED\) \(is the receiver running at http:\/\/127\.0\.0\.1:\d+\/gemini-callback\?\)\n$/);
  });
});

describe("gemini-webhooks listen", { timeout: 60_000 }, () => {
  it("verifies and pretty-prints each delivery from trigger, answers like core, and stops on Ctrl-C", async () => {
    const listener = background(["listen", "--port", "0", "--secret", SECRET]);
    const [, base] = await listener.waitFor(/Listening on (http:\/\/127\.0\.0\.1:\d+)/);
    expect(listener.out.stdout).not.toContain(SECRET);
    const t = await cli(["trigger", "batch.succeeded", "--url", `${base}/gemini-callback`, "--secret", SECRET, "--data", "id=batches/777"]);
    expect(t.code).toBe(0);
    const id = /msg_\w+/.exec(t.stdout)![0];
    await listener.waitFor(/"output_file_uri": "gs:\/\/my-bucket\/results.jsonl"/);
    expect(listener.out.stdout).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d  200 received  batch\\.succeeded  ${id} · v1`));
    expect(listener.out.stdout).toContain('"id": "batches/777"');
    expect(listener.out.stdout).not.toContain(ESC);
    // a forged delivery is rejected and shown with its headers
    const forged = await cli(["trigger", "batch.succeeded", "--url", `${base}/x`, "--secret", generateSecret(), "--max-attempts", "1"]);
    expect(forged.code).toBe(1);
    await listener.waitFor(/400 signature_mismatch  POST \/x/);
    expect(listener.out.stdout).toMatch(/webhook-signature: v1,/);
    const res = await fetch(`${base}/gemini-callback`);
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([405, "method_not_allowed"]);
    expect(await listener.interrupt()).toBe(0);
    expect(listener.out.stderr).toContain("stopped after 3 requests");
  });

  it("--json prints one line per delivery; without --secret it generates one and prints it", async () => {
    const listener = background(["listen", "--port", "0", "--json"]);
    const [line] = await listener.waitFor(/^\{.*\}$/m);
    const { listening, secret } = JSON.parse(line!) as { listening: string; secret: string };
    expect(secret).toMatch(/^whsec_/);
    const t = await cli(["trigger", "interaction.requires_action", "--url", `${listening}/hook`, "--secret", secret, "--json"]);
    expect(t.code).toBe(0);
    const report = JSON.parse(t.stdout) as { id: string; delivered: boolean };
    await listener.waitFor(/"answer":"received"/);
    const delivered = JSON.parse(listener.out.stdout.trim().split("\n")[1]!);
    expect(delivered).toMatchObject({ method: "POST", path: "/hook", status: 200, answer: "received", webhookId: report.id, scheme: "v1", event: { type: "interaction.requires_action", data: { id: "interactions/int_0001" } } });
    expect(delivered.headers["webhook-id"]).toBe(report.id);
    expect(await listener.interrupt()).toBe(0);
  });

  it("--fail-rate 1 makes every delivery fail: the sender retries and gives up", async () => {
    const listener = background(["listen", "--port", "0", "--secret", SECRET, "--fail-rate", "1", "--json"]);
    const [line] = await listener.waitFor(/^\{.*\}$/m);
    const { listening } = JSON.parse(line!) as { listening: string };
    const t = await cli(["trigger", "batch.succeeded", "--url", `${listening}/`, "--secret", SECRET, "--max-attempts", "2", "--base-delay", "10"]);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/^error: delivery failed after 2 attempts: 500 handler_failed/);
    expect(await listener.interrupt()).toBe(0);
  });

  it("dynamic round trip: trigger --dynamic (v1a and JWT) with persisted test keys, listen --jwks-uri", async () => {
    const port = await freePort();
    const keys = join(tmp, "keys", "issuer.json");
    const listener = background(["listen", "--port", "0", "--jwks-uri", `http://127.0.0.1:${port}/.well-known/jwks.json`, "--audience", "my-aud", "--json"]);
    const [line] = await listener.waitFor(/^\{.*\}$/m);
    const { listening } = JSON.parse(line!) as { listening: string };
    const common = ["--url", `${listening}/gemini-callback`, "--dynamic", "--issuer-port", String(port), "--keys", keys, "--audience", "my-aud"];
    const v1a = await cli(["trigger", "batch.succeeded", ...common]);
    expect([v1a.code, v1a.stdout]).toEqual([0, expect.stringMatching(/200 received/)]);
    expect(v1a.stderr).toContain(`created test keys in ${keys}`);
    expect(statSync(keys).mode & 0o777).toBe(0o600);
    const jwt = await cli(["trigger", "video.generated", ...common, "--scheme", "jwt"]);
    expect(jwt.code).toBe(0);
    expect(jwt.stderr).toContain(`test keys: ${keys}`);
    const again = await cli(["trigger", "batch.cancelled", ...common]);
    expect(again.code).toBe(0);
    await listener.waitFor(/batch\.cancelled/);
    const lines = listener.out.stdout.trim().split("\n").slice(1).map((l) => JSON.parse(l) as { scheme: string; keyId: string; status: number });
    expect(lines.map((l) => [l.status, l.scheme])).toEqual([[200, "v1a"], [200, "jwt"], [200, "v1a"]]);
    expect(lines[2]!.keyId).toBe(lines[0]!.keyId); // the same key next run: the receiver's cached JWKS stays valid
    expect(await listener.interrupt()).toBe(0);
  });

  it("a busy port is a one-line error", async () => {
    const app = await exampleApp();
    const port = new URL(app.url).port;
    const r = await cli(["listen", "--port", port, "--secret", SECRET]);
    expect([r.code, r.stderr]).toEqual([1, `error: port ${port} is in use on 127.0.0.1: pass another --port\n`]);
  });
});

describe("gemini-webhooks sign", { timeout: 60_000 }, () => {
  it("prints a curl command that delivers the signed event (and a second run is a duplicate)", async () => {
    const app = await exampleApp();
    const r = await cli(["sign", "batch.expired", "--secret", SECRET, "--url", app.url, "--data", "id=batches/it's-quoted"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^curl -sS -X POST http:\/\/127\.0\.0\.1:\d+\/gemini-callback \\\n  -H 'content-type: application\/json' \\\n  -H 'webhook-id: msg_\w+' \\\n/);
    const run = promisify(execFile);
    const hasCurl = await run("curl", ["--version"]).then(() => true, () => false);
    if (hasCurl) {
      // async: the example app answers from this same process
      // (bounded: a receiver that never answers fails the test instead of hanging the suite)
      expect((await run("sh", ["-c", r.stdout], { timeout: 20_000 })).stdout).toBe('{"status":"received"}');
      expect((await run("sh", ["-c", r.stdout], { timeout: 20_000 })).stdout).toBe('{"status":"duplicate"}');
      expect(app.events.map((e) => e.event.data.id)).toEqual(["batches/it's-quoted"]);
    }
  });

  it("--json prints url, headers and body that core verifies; --id and --timestamp are honoured", async () => {
    const r = await cli(["sign", "batch.succeeded", "--secret", SECRET, "--id", "msg_fixed", "--timestamp", "1800000000", "--json"]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as { url: string; headers: Record<string, string>; body: string };
    expect(d.url).toBe("http://127.0.0.1:3000/gemini-callback");
    expect(d.headers).toMatchObject({ "webhook-id": "msg_fixed", "webhook-timestamp": "1800000000" });
    const wh = createGeminiWebhooks({ secret: SECRET, now: () => 1_800_000_000_000 });
    await expect(wh.verify({ body: d.body, headers: d.headers })).resolves.toMatchObject({ type: "batch.succeeded" });
    const other = createGeminiWebhooks({ secret: generateSecret(), now: () => 1_800_000_000_000 });
    await expect(other.verify({ body: d.body, headers: d.headers })).rejects.toMatchObject({ code: "signature_mismatch" });
  });
});

describe("terminal output (in process, with a fake TTY)", () => {
  const tty = (isTTY: boolean) => {
    const s = { text: "", isTTY, write: (c: string) => void (s.text += c) };
    return s;
  };

  it("colours only on a TTY and not with NO_COLOR; a progress line on stderr during long runs", async () => {
    const app = await exampleApp({ on: { "*": () => sleep(60) } });
    const args = ["trigger", "batch.succeeded", "--url", app.url, "--secret", SECRET];
    const colour = { stdout: tty(true), stderr: tty(true) };
    expect(await runCli([...args, "--count", "15", "--concurrency", "1"], { ...colour, env: {} })).toBe(0);
    expect(colour.stdout.text).toContain(`${ESC}32m✔${ESC}39m`);
    expect(colour.stderr.text).toMatch(/\r\x1b\[2K.*delivering.*\d+\/15 done/);
    const noColour = { stdout: tty(true), stderr: tty(true) };
    expect(await runCli(args, { ...noColour, env: { NO_COLOR: "1" } })).toBe(0);
    expect(noColour.stdout.text).toMatch(/^✔ batch\.succeeded/);
    expect(noColour.stdout.text).not.toContain(ESC);
    const piped = { stdout: tty(false), stderr: tty(false) };
    expect(await runCli([...args, "--count", "30", "--concurrency", "1"], { ...piped, env: {} })).toBe(0);
    expect(piped.stdout.text + piped.stderr.text).not.toContain(ESC);
    expect(piped.stderr.text).toBe("");
  }, 30_000);
});
