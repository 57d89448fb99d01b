import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { geminiWebhooks } from "@gemini-webhooks/express";
import { createSender, fixture, generateSecret, signStatic } from "@gemini-webhooks/testing";
import { runCliInProcess, startListen } from "../support/cli.js";

// `gemini-webhooks listen --forward <url>`: verify, show, forward to the app, pass the app's answer back.
const SECRET = generateSecret();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(() => (server.closeAllConnections(), new Promise((r) => server.close(r))));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An Express app with the middleware whose handler fails its first `failures` runs. */
async function app(failures: number) {
  const runs: string[] = [];
  const a = express();
  a.post(
    "/gemini-callback",
    geminiWebhooks({
      secret: SECRET,
      logger: false,
      on: {
        "*": (_e, ctx) => {
          runs.push(ctx.webhookId);
          if (runs.length <= failures) throw new Error("database is down");
        },
      },
    }),
  );
  return { url: `${await serve(createServer(a))}/gemini-callback`, runs };
}

async function listen(args: string[]) {
  const l = await startListen(args);
  cleanups.push(() => l.stop());
  return l;
}

const quick = { baseDelayMs: 10, jitter: 0, maxAttempts: 3 };

describe("listen --forward", { timeout: 30_000 }, () => {
  it("a 500 from the app reaches the sender (which retries); the app's answer is in the output", async () => {
    const target = await app(1);
    const l = await listen(["--secret", SECRET, "--forward", target.url]);
    expect(l.info.forward).toBe(target.url);
    const sender = createSender({ url: `${l.info.listening}/gemini-callback`, secret: SECRET, retry: quick });
    const report = await sender.send(fixture("batch.succeeded"));
    expect(report.attempts.map((a) => `${a.status} ${a.answer}`)).toEqual(["500 handler_failed", "200 received"]);
    expect(target.runs).toEqual([report.id, report.id]);
    const [first, second] = l.deliveries();
    expect(first).toMatchObject({ status: 500, answer: "handler_failed", webhookId: report.id, scheme: "v1", forward: { url: target.url, status: 500 } });
    expect(JSON.parse(first.forward.body)).toMatchObject({ error: { code: "handler_failed" } });
    expect(second).toMatchObject({ status: 200, answer: "received", forward: { status: 200, body: '{"status":"received"}' } });
  });

  it("every retry reaches the app: the listener does not dedupe, the app answers duplicate", async () => {
    const target = await app(0);
    const l = await listen(["--secret", SECRET, "--forward", target.url]);
    const sender = createSender({ url: `${l.info.listening}/x`, secret: SECRET, retry: quick });
    const a = await sender.send(fixture("video.generated"), { id: "msg_same" });
    const b = await sender.send(fixture("video.generated"), { id: "msg_same" });
    expect([a.attempts[0]!.answer, b.attempts[0]!.answer]).toEqual(["received", "duplicate"]);
    expect(target.runs).toEqual(["msg_same"]);
  });

  it("the app's exact answer (status, content-type, body) goes back, even when it is not JSON", async () => {
    const url = await serve(createServer((_req, res) => res.writeHead(503, { "content-type": "text/plain", "retry-after": "7" }).end("down for maintenance")));
    const l = await listen(["--secret", SECRET, "--forward", `${url}/hook`]);
    const signed = signStatic({ event: fixture("batch.failed"), secret: SECRET });
    const res = await fetch(`${l.info.listening}/gemini-callback`, { method: "POST", headers: signed.headers, body: signed.body });
    expect([res.status, res.headers.get("content-type"), res.headers.get("retry-after"), await res.text()]).toEqual([503, "text/plain", "7", "down for maintenance"]);
    await l.waitFor(/"answer":"503"/);
    expect(l.deliveries()[0]).toMatchObject({ status: 503, answer: "503", forward: { status: 503, body: "down for maintenance" } });
  });

  it("the app down: the sender gets 502 forward_failed and retries; a forged delivery never reaches the app", async () => {
    const gone = createServer();
    const goneUrl = await serve(gone);
    await new Promise((r) => gone.close(r)); // a port where nothing listens any more
    const target = await app(0);
    const down = await listen(["--secret", SECRET, "--forward", `${goneUrl}/gemini-callback`]);
    const sender = createSender({ url: `${down.info.listening}/gemini-callback`, secret: SECRET, retry: { ...quick, maxAttempts: 2 } });
    const report = await sender.send(fixture("batch.succeeded"));
    expect(report.delivered).toBe(false);
    expect(report.attempts.map((a) => `${a.status} ${a.answer}`)).toEqual(["502 forward_failed", "502 forward_failed"]);
    expect(down.deliveries()[0]).toMatchObject({ status: 502, answer: "forward_failed", forward: { error: "ECONNREFUSED" } });

    const l = await listen(["--secret", SECRET, "--forward", target.url]);
    const forged = createSender({ url: `${l.info.listening}/gemini-callback`, secret: generateSecret(), retry: { maxAttempts: 1 } });
    expect((await forged.send(fixture("batch.succeeded"))).attempts[0]).toMatchObject({ status: 400, answer: "signature_mismatch" });
    expect(target.runs).toEqual([]);
    expect(l.deliveries()[0]).not.toHaveProperty("forward");
  });

  it("prints the app's answer in the terminal output", async () => {
    const target = await app(1);
    const l = runCliInProcess(["listen", "--port", "0", "--secret", SECRET, "--forward", target.url]);
    cleanups.push(() => l.stop());
    const [, base] = await l.waitFor(/Listening on (http:\/\/127\.0\.0\.1:\d+)/);
    expect(l.stdout.text).toContain(`Forwarding verified deliveries to ${target.url}`);
    const sender = createSender({ url: `${base}/gemini-callback`, secret: SECRET, retry: quick });
    await sender.send(fixture("batch.succeeded"));
    await l.waitFor(/200 received  batch\.succeeded/);
    expect(l.stdout.text).toMatch(/500 handler_failed  batch\.succeeded  msg_\w+ · v1\n/);
    expect(l.stdout.text).toContain(`→ app ${target.url} answered 500 in`);
    expect(l.stdout.text).toMatch(/\{"error":\{"code":"handler_failed","message":"A handler for batch\.succeeded failed/);
    expect(l.stdout.text).toContain(`→ app ${target.url} answered 200 in`);
  });

  it("usage errors: --forward needs the app's secret, and does not mix with --fail-rate", async () => {
    for (const [args, re] of [
      [["--forward", "http://127.0.0.1:1/x"], /--forward needs the app's --secret/],
      [["--forward", "http://127.0.0.1:1/x", "--secret", SECRET, "--fail-rate", "0.5"], /--fail-rate .* drop one of them/],
      [["--forward", "ftp://x"], /only http:\/\/ and https:\/\//],
      [["--forward-timeout", "10"], /--forward-timeout needs --forward/],
    ] as const) {
      const l = runCliInProcess(["listen", "--port", "0", ...args]);
      expect(await l.stop()).toBe(2);
      expect(l.stderr.text).toMatch(re);
    }
  });
});
