import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, generateSecret, signStatic } from "@gemini-webhooks/testing";
import { runCliInProcess, startListen, until } from "../../../../test/support/cli.js";

// listen's text output: a forged body, header or path must not drive the terminal (ESC, BEL, CR, C1 CSI).
const SECRET = generateSecret();
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe("listen (text output) escapes control characters from requests", () => {
  let cli: ReturnType<typeof runCliInProcess>;
  let base: string;

  beforeAll(async () => {
    cli = runCliInProcess(["listen", "--port", "0", "--secret", SECRET, "--headers"]);
    base = (await cli.waitFor(/Listening on (http:\/\/\S+)/))[1]!;
  });
  afterAll(async () => {
    await cli?.stop();
  });

  it("a forged body drawing a fake '200 received' line, a retitle and a clear is printed escaped", async () => {
    const fake = "\x1b]0;pwned\x07\x1b[2J\r12:00:00  200 received  batch.succeeded  msg_fake · v1\x9b31m";
    const res = await fetch(`${base}/gemini-callback`, {
      method: "POST",
      headers: { "webhook-id": "msg_forged", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "v1,AAAA", "content-type": "text/plain" },
      body: fake,
    });
    expect(res.status).toBe(400);
    await cli.waitFor(/signature_mismatch[\s\S]*pwned/);
    expect(cli.stdout.text).not.toMatch(CONTROL);
    expect(cli.stdout.text).toContain("\\x1b]0;pwned\\x07\\x1b[2J\\r12:00:00");
  });

  it("a verified event whose strings hold C1 controls and bidi overrides is printed escaped too", async () => {
    const event = fixture("batch.failed");
    (event.data as { error_message: string }).error_message = "boom\u009b2J\u202eevil";
    const d = signStatic({ event, secret: SECRET });
    const res = await fetch(`${base}/x`, { method: "POST", headers: d.headers, body: d.body });
    expect(res.status).toBe(200);
    await cli.waitFor(/boom/);
    expect(cli.stdout.text).not.toMatch(CONTROL);
    expect(cli.stdout.text).not.toContain("\u202e");
    expect(cli.stdout.text).toContain("boom\\u009b2J\\u202eevil");
  });
});

describe("listen --json escapes what JSON.stringify leaves raw", () => {
  it("a C1 control in a forged header comes out as a \\u escape; the line still parses", async () => {
    const l = await startListen(["--secret", SECRET]);
    try {
      const { port } = new URL(l.info.listening);
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = request(
          { host: "127.0.0.1", port, method: "POST", path: "/p", headers: { "webhook-id": "msg_\u0085", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA" } },
          (r) => {
            r.resume();
            resolve(r.statusCode);
          },
        );
        req.on("error", reject);
        req.end("x\u009b");
      });
      expect(status).toBe(400);
      await until(() => l.deliveries().length === 1, "one delivery");
      expect(l.stdout.text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
      expect(l.stdout.text).toContain("msg_Â\\u0085");
      expect(l.deliveries()[0]).toMatchObject({ status: 400, answer: "invalid_header", headers: { "webhook-id": "msg_Â\u0085" } });
    } finally {
      await l.stop();
    }
  });
});
