// `gemini-webhooks doctor` against the local Gemini API, with the real @google/genai webhooks client: in process
// (runCli) and from the built bin. The checks themselves (doctor() of @gemini-webhooks/genai) are tested in
// packages/genai/test/doctor.test.ts.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/main.js";
import { CLI, ensureBuilt } from "../../../test/support/sender.js";
import { fakeWebhook, startGeminiApi, type FakeWebhook, type GeminiApi } from "../../../test/support/gemini-api.js";
import { cliOnce } from "../../../test/support/cli.js";

const URL_ = "https://my.app/gemini-callback";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const APP = fileURLToPath(new URL("./fixtures/app.mjs", import.meta.url));
const OPTIONS_APP = fileURLToPath(new URL("./fixtures/options-app.mjs", import.meta.url));
const NO_RECEIVER_APP = fileURLToPath(new URL("./fixtures/no-receiver-app.mjs", import.meta.url));

let api: GeminiApi;
beforeAll(async () => {
  api = await startGeminiApi();
});
afterAll(() => api.close());
afterEach(() => api.reset());

function webhook(over: Partial<FakeWebhook> = {}): FakeWebhook {
  const w = fakeWebhook({ uri: URL_, ...over });
  api.webhooks.push(w);
  return w;
}

// doctor prints strings that come from the API: they are data, never terminal control.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe("gemini-webhooks doctor", () => {
  it("escapes control characters in what the API returns (text and --json)", async () => {
    api.webhooks.push({
      id: "wh_\x1b]0;pwned\x07",
      uri: "https://my.app/gemini-callback",
      subscribed_events: ["batch.succeeded\r\x1b[2K✓ all good"],
      state: "enabled\x1b[2J\u009b1m",
      signing_secrets: [{ truncated_secret: "whsec_ab\x07…cd" }],
    });
    const env = { GEMINI_API_KEY: api.apiKey, GOOGLE_GEMINI_BASE_URL: api.baseUrl, GEMINI_WEBHOOK_SECRET: "whsec_abcdefghijklmnopqrstuvwxyz01234567" };
    const text = await cliOnce(["doctor", "--url", "https://my.app/gemini-callback"], env);
    expect(text.stdout).toContain("wh_\\x1b]0;pwned\\x07");
    expect(text.stdout).toContain("batch.succeeded\\r\\x1b[2K✓ all good");
    expect(text.stdout + text.stderr).not.toMatch(CONTROL);
    const json = await cliOnce(["doctor", "--url", "https://my.app/gemini-callback", "--json"], env);
    expect(json.stdout).not.toMatch(CONTROL);
    expect(JSON.parse(json.stdout).webhooks[0].state).toBe("enabled\x1b[2J\u009b1m");
  });

  it("masks credentials in the URL it prints", async () => {
    const env = { GEMINI_API_KEY: api.apiKey, GOOGLE_GEMINI_BASE_URL: api.baseUrl };
    const r = await cliOnce(["doctor", "--url", "https://user:s3cr3t@my.app/gemini-callback"], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("https://user:***@my.app/gemini-callback");
    expect(r.stdout + r.stderr).not.toContain("s3cr3t");
  });

  function io(env: Record<string, string | undefined>) {
    const out = { stdout: "", stderr: "" };
    return {
      out,
      io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) }, env },
    };
  }
  const env = () => ({ GEMINI_API_KEY: api.apiKey, GOOGLE_GEMINI_BASE_URL: api.baseUrl, GEMINI_WEBHOOK_SECRET: SECRET });

  it("prints the webhooks and the checks, exit 0 when all is well (app loaded from its module)", async () => {
    webhook({ subscribed_events: ["batch.succeeded", "batch.failed", "video.generated"] });
    const { io: cio, out } = io(env());
    expect(await runCli(["doctor", "--url", URL_, "--app", APP], cio)).toBe(0);
    expect(out.stdout).toContain("Registered webhooks: 1");
    expect(out.stdout).toContain(`wh_1  enabled  ${URL_}  [batch.succeeded, batch.failed, video.generated]`);
    expect(out.stdout).toContain("✓ wh_1's events (batch.succeeded, batch.failed, video.generated) all have handlers.");
    expect(out.stdout).toMatch(/✓ The secret in the environment matches/);
    expect(out.stdout.trimEnd().split("\n").at(-1)).toBe("OK");
  });

  it("exit 1 with the fix when Gemini disabled the webhook; --json for scripts", async () => {
    webhook({ state: "disabled_due_to_failed_deliveries" });
    const { io: cio, out } = io(env());
    expect(await runCli(["doctor", "--url", URL_, "--app", OPTIONS_APP, "--json"], cio)).toBe(1);
    const json = JSON.parse(out.stdout) as { ok: boolean; findings: Array<{ code: string; level: string }> };
    expect(json.ok).toBe(false);
    expect(json.findings).toContainEqual(expect.objectContaining({ code: "state_disabled_due_to_failed_deliveries", level: "error" }));
  });

  it("usage errors exit 2: no URL, no API key, an app module without a receiver", async () => {
    let r = io(env());
    expect(await runCli(["doctor"], r.io)).toBe(2);
    expect(r.out.stderr).toMatch(/doctor needs --url/);
    r = io({ ...env(), GEMINI_API_KEY: undefined });
    expect(await runCli(["doctor", "--url", URL_], r.io)).toBe(2);
    expect(r.out.stderr).toMatch(/GEMINI_API_KEY/);
    r = io(env());
    expect(await runCli(["doctor", "--url", URL_, "--app", NO_RECEIVER_APP, "--export", "NOW"], r.io)).toBe(2);
    expect(r.out.stderr).toMatch(/export "NOW" is not a receiver/);
    r = io(env());
    expect(await runCli(["doctor", "--bogus"], r.io)).toBe(2);
  });

  it("help", async () => {
    const r = io({});
    expect(await runCli(["doctor", "--help"], r.io)).toBe(0);
    expect(r.out.stdout).toMatch(/^Usage: gemini-webhooks doctor --url URL/);
    const m = io({});
    await runCli(["--help"], m.io);
    expect(m.out.stdout).toContain("doctor --url URL");
  });

  it("the built bin: exit codes and output as a user sees them", { timeout: 120_000 }, async () => {
    for (const pkg of ["core", "genai"]) ensureBuilt(pkg);
    ensureBuilt("testing");
    ensureBuilt("cli", "bin.cjs");
    webhook({ state: "disabled_due_to_failed_deliveries" });
    const child = spawn(process.execPath, [CLI, "doctor", "--url", URL_], {
      env: { PATH: process.env.PATH, ...env() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c));
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    const [code] = (await once(child, "close")) as [number];
    expect(stderr).toBe("");
    expect(code).toBe(1);
    expect(stdout).toContain("✗ wh_1 was disabled by Gemini after failed deliveries");
    expect(stdout).not.toContain(api.apiKey);
  });
});
