import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { generateSecret } from "@gemini-webhooks/testing";
import { startGeminiApi, type GeminiApi } from "../../../test/support/gemini-api.js";
import { cliOnce } from "../../../test/support/cli.js";

// `gemini-webhooks webhooks …` through the real @google/genai client against the local Gemini API.
let api: GeminiApi;
beforeAll(async () => {
  api = await startGeminiApi();
});
afterAll(() => api.close());
afterEach(() => api.reset());

const env = (extra: Record<string, string> = {}) => ({ GEMINI_API_KEY: api.apiKey, GOOGLE_GEMINI_BASE_URL: api.baseUrl, ...extra });
const run = (args: string[], extra?: Record<string, string>) => cliOnce(["webhooks", ...args], env(extra));
const count = (text: string, part: string) => text.split(part).length - 1;
const URL_ = "https://my.app/gemini-callback";

describe("gemini-webhooks webhooks", () => {
  it("create prints the new secret exactly once, on stdout only; the API got the uri and events", async () => {
    const r = await run(["create", "--url", URL_, "--events", "batch.succeeded,batch.failed", "--name", "prod"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const [secret] = api.secrets.get("wh_1")!;
    expect(count(r.stdout, secret!)).toBe(1);
    expect(r.stdout).toMatch(/^created wh_1 {2}enabled {2}https:\/\/my\.app\/gemini-callback {2}\[batch\.succeeded, batch\.failed\]/);
    expect(api.webhooks[0]).toMatchObject({ uri: URL_, subscribed_events: ["batch.succeeded", "batch.failed"], name: "prod" });
    expect(api.requests.map((q) => `${q.method} ${q.path}`)).toEqual(["POST /v1beta/webhooks"]);

    const j = await run(["create", "--url", URL_, "--events", "video.generated", "--json"]);
    expect(j.code).toBe(0);
    const [second] = api.secrets.get("wh_2")!;
    expect(JSON.parse(j.stdout)).toMatchObject({ id: "wh_2", new_signing_secret: second });
    expect(count(j.stdout, second!)).toBe(1);
    expect(j.stderr).toBe("");
  });

  it("list follows every page; get, update, ping and delete call the API's own paths", async () => {
    for (let i = 0; i < 230; i++) api.webhooks.push({ id: `wh_${i}`, uri: `https://app/${i}`, subscribed_events: ["batch.succeeded"], state: "enabled" });
    const list = await run(["list", "--json"]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).webhooks).toHaveLength(230);
    expect(api.requests.filter((q) => q.path === "/v1beta/webhooks")).toHaveLength(3);
    expect((await run(["list"])).stdout).toMatch(/^230 webhooks:\n {2}wh_0 {2}enabled {2}https:\/\/app\/0/);

    api.requests.length = 0;
    expect((await run(["get", "wh_7"])).stdout).toBe("wh_7  enabled  https://app/7  [batch.succeeded]\n");
    const up = await run(["update", "wh_7", "--state", "disabled", "--events", "batch.failed"]);
    expect([up.code, up.stdout]).toEqual([0, "updated wh_7  disabled  https://app/7  [batch.failed]\n"]);
    expect((await run(["ping", "wh_7"])).code).toBe(0);
    expect((await run(["delete", "wh_7", "--json"])).stdout).toBe('{\n  "deleted": "wh_7"\n}\n');
    expect(api.requests.map((q) => `${q.method} ${q.path}${q.query.update_mask ? `?${q.query.update_mask}` : ""}`)).toEqual([
      "GET /v1beta/webhooks/wh_7",
      "PATCH /v1beta/webhooks/wh_7?subscribed_events,state",
      "POST /v1beta/webhooks/wh_7:ping",
      "DELETE /v1beta/webhooks/wh_7",
    ]);
    const gone = await run(["get", "wh_7"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: webhooks get failed \(404\): .*no such webhook/);
  });

  it("list stops on a repeated page token: bounded, exit 1 with a warning", async () => {
    api.webhooks.push({ id: "wh_a", uri: URL_, subscribed_events: ["batch.succeeded"], state: "enabled" });
    api.stuckPageToken = "again";
    const r = await run(["list"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^warning: the listing did not end/);
    expect(api.requests.filter((q) => q.path === "/v1beta/webhooks")).toHaveLength(2);
  });

  it("rotate --revoke after-24h: the new secret once, in the config beside the current one, with the expiry; doctor confirms the app accepts both", async () => {
    const created = await run(["create", "--url", URL_, "--events", "batch.succeeded"]);
    expect(created.code).toBe(0);
    const [old] = api.secrets.get("wh_1")!;
    api.now = () => Date.UTC(2027, 0, 15, 8);
    const r = await run(["rotate", "wh_1", "--revoke", "after-24h"], { GEMINI_WEBHOOK_SECRET: old! });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const [fresh] = api.secrets.get("wh_1")!;
    expect(count(r.stdout, fresh!)).toBe(1);
    expect(r.stdout).toContain(`GEMINI_WEBHOOK_SECRET=${fresh},${old}`);
    expect(r.stdout).toContain("the previous secret expires at 2027-01-16T08:00:00.000Z");
    expect(api.requests.filter((q) => q.method === "POST").map((q) => q.path)).toEqual(["/v1beta/webhooks", "/v1beta/webhooks/wh_1:rotateSigningSecret"]);

    const app = new URL("./fixtures/rotation-app.ts", import.meta.url).pathname;
    process.env.ROTATION_APP_SECRETS = `${fresh},${old}`;
    const doctor = await cliOnce(["doctor", "--url", URL_, "--app", app], env({ GEMINI_WEBHOOK_SECRET: `${fresh},${old}` }));
    expect([doctor.code, doctor.stderr]).toEqual([0, ""]);
    expect(doctor.stdout).toMatch(/✓ The secrets in the environment match wh_1's new signing secret .* and its previous one .*expires 2027-01-16T08:00:00/);
    expect(doctor.stdout).toMatch(/✓ The app accepts deliveries signed with secret #1/);
    expect(doctor.stdout).toMatch(/✓ The app accepts deliveries signed with secret #2/);
    expect(doctor.stdout).not.toContain(fresh!.slice(12));
  });

  it("doctor finds an app that still verifies with the old secret only", async () => {
    const fresh = generateSecret();
    const old = generateSecret();
    api.webhooks.push({ id: "wh_r", uri: URL_, subscribed_events: ["batch.succeeded"], state: "enabled" });
    const app = new URL("./fixtures/old-secret-app.ts", import.meta.url).pathname;
    process.env.OLD_SECRET_APP_SECRET = old;
    const doctor = await cliOnce(["doctor", "--url", URL_, "--app", app], env({ GEMINI_WEBHOOK_SECRET: `${fresh},${old}` }));
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✗ The app rejects deliveries signed with secret #1 \(whsec_.{4}…\): signature_mismatch/);
    expect(doctor.stdout).toMatch(/✓ The app accepts deliveries signed with secret #2/);
  });

  it("rotate --revoke immediately: the config holds the new secret alone", async () => {
    await run(["create", "--url", URL_, "--events", "batch.succeeded"]);
    const [old] = api.secrets.get("wh_1")!;
    const r = await run(["rotate", "wh_1", "--revoke", "immediately", "--json"], { GEMINI_WEBHOOK_SECRET: old! });
    expect(r.code).toBe(0);
    const [fresh] = api.secrets.get("wh_1")!;
    expect(JSON.parse(r.stdout)).toMatchObject({ id: "wh_1", secret: fresh, previous: [], revoke: "immediately" });
    expect(count(r.stdout, fresh!)).toBe(1);
    expect(api.webhooks[0]!.signing_secrets).toHaveLength(1);
  });

  it("usage errors are exit 2, before any request", async () => {
    const cases: [string[], Record<string, string> | undefined, RegExp][] = [
      [[], undefined, /^error: missing action: list, get, create/],
      [["purge"], undefined, /^error: unknown action "purge"/],
      [["get"], undefined, /^error: webhooks get takes one webhook id/],
      [["create", "--url", URL_], undefined, /^error: webhooks create needs --events/],
      [["create", "--events", "batch.succeeded"], undefined, /^error: webhooks create needs --url/],
      [["rotate", "wh_1"], undefined, /^error: webhooks rotate needs --revoke immediately\|after-24h/],
      [["rotate", "wh_1", "--revoke", "later"], undefined, /got "later"/],
      [["update", "wh_1"], undefined, /^error: webhooks update needs something to change/],
      [["list", "--url", URL_], undefined, /^error: --url does not apply to webhooks list/],
    ];
    for (const [args, extra, re] of cases) {
      const r = await run(args, extra);
      expect([args, r.code]).toEqual([args, 2]);
      expect(r.stderr).toMatch(re);
    }
    const nokey = await cliOnce(["webhooks", "list"], { GOOGLE_GEMINI_BASE_URL: api.baseUrl });
    expect([nokey.code, nokey.stderr]).toEqual([2, "error: webhooks list needs GEMINI_API_KEY (an API key of the project whose webhooks to use)\n"]);
    expect(api.requests).toEqual([]);
  });
});
