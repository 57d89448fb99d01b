import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startGeminiApi, type GeminiApi } from "../../../test/support/gemini-api.js";
import { cliOnce } from "../../../test/support/cli.js";

// doctor prints strings that come from the API: they are data, never terminal control.
let api: GeminiApi;
beforeAll(async () => {
  api = await startGeminiApi();
});
afterAll(() => api.close());
afterEach(() => api.reset());

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
});
