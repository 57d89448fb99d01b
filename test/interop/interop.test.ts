import { describe, expect, it } from "vitest";
import { Webhook as SvixWebhook } from "svix";
import { Webhook as StdWebhook } from "standardwebhooks";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { allFixtures, generateSecret, signStatic } from "@gemini-webhooks/testing";

// Interop is proven both ways: their signatures verify with ours, ours verify with theirs.
const secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", generateSecret(24), generateSecret(64)];

const libs = [
  ["standardwebhooks", (s: string) => new StdWebhook(s)],
  ["svix", (s: string) => new SvixWebhook(s)],
] as const;

describe.each(libs)("interop with %s", (_name, make) => {
  it.each(secrets)("their signature verifies with ours (secret %#)", async (secret) => {
    const theirs = make(secret);
    const wh = createGeminiWebhooks({ secret, idempotency: false, on: { "*": () => {} } });
    for (const [i, ev] of allFixtures().entries()) {
      const body = JSON.stringify({ ...ev, data: { ...ev.data, note: "ünïcödé ✓ " + i } });
      const id = `msg_interop_${i}`;
      const now = new Date();
      const signature = theirs.sign(id, now, body);
      const headers = { "webhook-id": id, "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": signature };
      const r = await wh.handle({ body, headers, method: "POST" });
      expect([r.status, r.body]).toEqual([200, { status: "received" }]);
      expect(r.event).toEqual(JSON.parse(body));
      // …and a tampered copy is rejected by both
      const tampered = body.replace('"type"', '"type" ');
      expect((await wh.handle({ body: tampered, headers, method: "POST" })).error?.code).toBe("signature_mismatch");
      expect(() => theirs.verify(tampered, headers)).toThrow();
    }
  });

  it.each(secrets)("our signature verifies with theirs (secret %#)", (secret) => {
    const theirs = make(secret);
    for (const ev of allFixtures()) {
      const d = signStatic({ event: ev, secret });
      expect(theirs.verify(d.body, d.headers)).toEqual(ev);
    }
  });

  it("the prefix-less secret form is the same key for both", async () => {
    const secret = secrets[0]!;
    const d = signStatic({ event: allFixtures()[0], secret: secret.slice(6) });
    expect(make(secret).verify(d.body, d.headers)).toBeTruthy();
  });

  it("their multi-signature header (rotation) verifies with ours", async () => {
    const [a, b] = [secrets[1]!, secrets[2]!];
    const body = JSON.stringify(allFixtures()[4]);
    const id = "msg_rot";
    const now = new Date();
    const header = `${make(a).sign(id, now, body)} ${make(b).sign(id, now, body)}`;
    const headers = { "webhook-id": id, "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": header };
    const wh = createGeminiWebhooks({ secret: b, idempotency: false });
    const r = await wh.handle({ body, headers });
    expect(r.status).toBe(200);
  });
});
