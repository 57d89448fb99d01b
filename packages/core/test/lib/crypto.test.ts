import { describe, expect, it } from "vitest";
import { createGeminiWebhooks, webCryptoProvider } from "@gemini-webhooks/core";
import { clock, NOW_S, SECRET, signed } from "../../../../test/support/receiver.js";

// The edge path: no process.getBuiltinModule, only Web Crypto.
describe("Web Crypto backend (edge runtimes)", () => {
  const crypto = webCryptoProvider();
  it("verifies, rejects tampering and rotates secrets exactly like the node:crypto path", async () => {
    const old = "whsec_" + Buffer.alloc(32, 3).toString("base64");
    const wh = createGeminiWebhooks({ crypto, secret: [SECRET, old], now: clock(), idempotency: false, on: { "*": () => {} } });
    expect((await wh.handle({ ...signed(), method: "POST" })).status).toBe(200);
    const r = await wh.handle({ ...signed(undefined, { secret: old }), method: "POST" });
    expect([r.status, r.ctx?.secretIndex]).toEqual([200, 1]);
    const d = signed();
    expect((await wh.handle({ ...d, body: d.body.replace("b1", "b9"), method: "POST" })).error?.code).toBe("signature_mismatch");
    expect((await wh.handle({ ...signed(undefined, { timestamp: NOW_S - 1000 }), method: "POST" })).error?.code).toBe("timestamp_too_old");
  });
  it("the spec vector verifies on Web Crypto", async () => {
    const wh = createGeminiWebhooks({ crypto, secret: SECRET, now: clock(1614265330) });
    const r = await wh.handle({
      body: '{"test": 2432232314}',
      headers: { "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330", "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" },
    });
    expect(r.error?.code).toBe("invalid_json"); // signature accepted; the vector is not an event envelope
  });
});
