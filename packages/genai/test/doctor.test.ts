// doctor(): the real @google/genai webhooks client against the local Gemini API. The `gemini-webhooks doctor`
// command over the same API is tested in packages/cli/test/doctor.test.ts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { doctor, GenaiError, secretMatchesTruncated, type DoctorReport, type WebhooksClient } from "@gemini-webhooks/genai";
import { generateSecret } from "@gemini-webhooks/testing";
import { fakeWebhook, startGeminiApi, type FakeWebhook, type GeminiApi } from "../../../test/support/gemini-api.js";
import { NOW } from "./helpers.js";

const URL_ = "https://my.app/gemini-callback";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

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

const app = () =>
  createGeminiWebhooks({ secret: SECRET, logger: false, on: { "batch.succeeded": () => {}, "batch.failed": () => {} } });
const codes = (r: DoctorReport) => r.findings.map((f) => `${f.level}:${f.code}`);
const run = (over: Partial<Parameters<typeof doctor>[0]> = {}) =>
  doctor({ ai: api.client() as unknown as WebhooksClient, url: URL_, secret: SECRET, app: app(), now: () => NOW, retry: { initialDelayMs: 1 }, ...over });

describe("doctor", () => {
  it("all good: registered, enabled, events handled, secret matches", async () => {
    webhook();
    webhook({ id: "wh_other", uri: "https://other.app/hook" });
    const r = await run();
    expect(r.ok).toBe(true);
    expect(r.matching.map((w) => w.id)).toEqual(["wh_1"]);
    expect(r.webhooks).toHaveLength(2);
    expect(codes(r)).toEqual(["ok:url_registered", "ok:state_enabled", "ok:events_ok", "ok:secret_matches"]);
  });

  it("matches the URL regardless of case in the host, a default port or a trailing slash", async () => {
    webhook({ uri: "https://MY.app:443/gemini-callback/" });
    expect((await run()).matching).toHaveLength(1);
  });

  it("disabled_due_to_failed_deliveries: says how to fix the endpoint, re-enable, and reconcile", async () => {
    webhook({ state: "disabled_due_to_failed_deliveries" });
    const r = await run();
    expect(r.ok).toBe(false);
    const f = r.findings.find((x) => x.code === "state_disabled_due_to_failed_deliveries")!;
    expect(f.level).toBe("error");
    expect(f.message).toContain(`gemini-webhooks trigger batch.succeeded --url ${URL_}`);
    expect(f.message).toContain('ai.webhooks.update("wh_1", { state: "enabled" })');
    expect(f.message).toContain("reconcile()");
  });

  it("a disabled webhook and an unknown state", async () => {
    webhook({ state: "disabled" });
    webhook({ id: "wh_2", state: "paused_for_reasons" });
    const r = await run();
    expect(codes(r)).toContain("error:state_disabled");
    expect(codes(r)).toContain("warn:state_unknown");
    expect(codes(r)).toContain("warn:several_webhooks");
  });

  it("no webhook at the URL: names the close ones and how to create one", async () => {
    webhook({ uri: "http://my.app/gemini-callback" });
    webhook({ id: "wh_far", uri: "https://elsewhere.example/x" });
    const r = await run();
    expect(r.ok).toBe(false);
    const f = r.findings.find((x) => x.code === "url_not_registered")!;
    expect(f.message).toContain("wh_1 → http://my.app/gemini-callback");
    expect(f.message).not.toContain("wh_far");
    expect(f.message).toContain(`ai.webhooks.create({ uri: "${URL_}"`);
  });

  it("compares subscribed events with the app's handlers", async () => {
    webhook({ subscribed_events: ["batch.succeeded", "batch.expired"] });
    const handlers = createGeminiWebhooks({
      secret: SECRET,
      logger: false,
      on: { "batch.succeeded": () => {}, "video.generated": () => {}, "batch.cancelled": () => {} },
    });
    const r = await run({ app: handlers });
    expect(r.ok).toBe(true);
    const by = (code: string) => r.findings.find((f) => f.code === code)?.message ?? "";
    expect(by("event_not_handled")).toMatch(/sends batch\.expired, which the app has no handler for/);
    expect(by("handler_not_subscribed")).toMatch(/handles video\.generated, but wh_1 is not subscribed/);
    expect(by("event_not_subscribable")).toMatch(/batch\.cancelled/);
  });

  it("an app with a catch-all handles every subscribed event; an options object works too", async () => {
    webhook({ subscribed_events: ["batch.succeeded", "interaction.completed"] });
    const all = createGeminiWebhooks({ secret: SECRET, logger: false, on: { "*": () => {} } });
    expect(codes(await run({ app: all }))).toContain("ok:events_ok");
    expect(codes(await run({ app: { on: { "batch.succeeded": () => {} } } }))).toContain("warn:event_not_handled");
  });

  it("without the app, lists the subscribed events", async () => {
    webhook();
    const r = await run({ app: undefined });
    expect(r.findings.find((f) => f.code === "events")?.message).toBe("wh_1 is subscribed to batch.succeeded, batch.failed (pass the app's module to compare with its handlers).");
  });

  it("a secret that is not the webhook's", async () => {
    webhook();
    const r = await run({ secret: generateSecret() });
    expect(r.ok).toBe(false);
    expect(r.findings.find((f) => f.code === "secret_mismatch")?.message).toMatch(/signature_mismatch/);
  });

  it("during a rotation: one of several secrets matches; an expiring one warns, an expired one is an error", async () => {
    webhook({ signing_secrets: [{ truncated_secret: "whsec_NEW1...abcd" }, { truncated_secret: "whsec_MfKQ...LaSw", expire_time: new Date(NOW + 3600_000).toISOString() }] });
    expect(codes(await run())).toContain("warn:secret_expiring");
    expect(codes(await run({ secret: [generateSecret(), SECRET] }))).toContain("warn:secret_expiring");
    expect(codes(await run({ now: () => NOW + 7200_000 }))).toContain("error:secret_expired");
  });

  it("when the API shows no secret, or too little of it, says what to check by hand", async () => {
    webhook({ signing_secrets: [] });
    webhook({ id: "wh_2", signing_secrets: [{ truncated_secret: "****" }] });
    const r = await run();
    const unknown = r.findings.filter((f) => f.code === "secret_unknown");
    expect(unknown).toHaveLength(2);
    for (const f of unknown) expect(f.message).toMatch(/new_signing_secret.*rotateSigningSecret/);
  });

  it("no secret in the environment", async () => {
    webhook();
    expect(codes(await run({ secret: [] }))).toContain("warn:secret_missing");
  });

  it("follows pagination", async () => {
    api.maxPageSize = 2;
    for (let i = 0; i < 5; i++) webhook({ id: `wh_${i}`, uri: `https://my.app/other-${i}` });
    webhook({ id: "wh_last" });
    const r = await run();
    expect(r.webhooks).toHaveLength(6);
    expect(r.matching.map((w) => w.id)).toEqual(["wh_last"]);
    const lists = api.requests.filter((q) => q.path === "/v1beta/webhooks");
    expect(lists).toHaveLength(3);
    expect(lists[1]!.query.page_token).toBeTruthy();
  });

  it("retries a 429 and a 500 from the listing", async () => {
    webhook();
    api.fail(/^\/v1beta\/webhooks$/, 429, 1, "1");
    api.fail(/^\/v1beta\/webhooks$/, 500, 1);
    expect((await run()).ok).toBe(true);
    expect(api.requests).toHaveLength(3);
  });

  it("a rejected API key is unauthorized, naming GEMINI_API_KEY, never the key", async () => {
    const err = await run({ ai: api.client("nope-key-42") as unknown as WebhooksClient }).catch((e) => e);
    expect(err).toBeInstanceOf(GenaiError);
    expect(err).toMatchObject({ code: "unauthorized", status: 401 });
    expect(err.message).toContain("GEMINI_API_KEY");
    expect(err.message).not.toContain("nope-key-42");
  });

  it("refuses a relative URL and a client without the webhooks API", async () => {
    await expect(run({ url: "/gemini-callback" })).rejects.toThrow(/not an absolute URL/);
    await expect(run({ ai: {} as WebhooksClient })).rejects.toThrow(/no webhooks API/);
  });
});

describe("secretMatchesTruncated", () => {
  it.each([
    ["whsec_MfKQ...LaSw", true],
    ["whsec_MfKQ…LaSw", true],
    ["MfKQ****LaSw", true],
    ["whsec_MfKQ****", true],
    ["****LaSw", true],
    ["whsec_MfKQ...LaSx", false],
    ["whsec_AAAA...LaSw", false],
    ["****", undefined],
    ["whsec_M...w", undefined],
    ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true],
    ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true],
  ])("%s → %s", (truncated, expected) => {
    expect(secretMatchesTruncated(SECRET, truncated)).toBe(expected);
  });
});
