import { connect } from "node:net";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readNodeBody, receiveNode, sendNode } from "@gemini-webhooks/core/node";
import { createGeminiWebhooks, WebhookVerificationError } from "@gemini-webhooks/core";
import { serve } from "../../../../test/support/http.js";
import { receiver, signed } from "../../../../test/support/receiver.js";

/** A request stream as node:http hands it over (headers, then the body as it arrives). */
function stream(headers: Record<string, string> = {}) {
  const s = new PassThrough() as PassThrough & { headers: Record<string, string> };
  s.headers = headers;
  return s;
}

const opts = (timeoutMs: number, limit = 1 << 20) => ({ limit, timeoutMs, framework: "node" as const });

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "read",
    (e: unknown) => (e instanceof WebhookVerificationError ? e.code : (e as Error).name),
  );

/** A signed delivery as raw HTTP/1.1 (content-length of the whole body; `bodyPart` is what is sent of it). */
function rawPost(d: { body: string; headers: Record<string, string> }, path = "/", bodyPart = d.body): string {
  const head = Object.entries({ ...d.headers, "content-length": String(Buffer.byteLength(d.body)) }).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  return `POST ${path} HTTP/1.1\r\nhost: x\r\n${head}\r\n${bodyPart}`;
}

/** A keep-alive connection that sends raw requests and reads one answer (status and body) for each. */
async function connection(port: number) {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  let buffered = "";
  let waiting: (() => void) | undefined;
  socket.on("data", (d) => {
    buffered += d;
    waiting?.();
  });
  socket.on("error", () => {});
  /** The next whole answer: [status, body]. */
  const answer = () =>
    new Promise<[number, string]>((resolve) => {
      const check = () => {
        const end = buffered.indexOf("\r\n\r\n");
        const length = /content-length: (\d+)/i.exec(buffered.slice(0, end));
        if (end < 0 || !length || buffered.length < end + 4 + Number(length[1])) return;
        const status = Number(buffered.slice(9, 12));
        const body = buffered.slice(end + 4, end + 4 + Number(length[1]));
        buffered = buffered.slice(end + 4 + Number(length[1]));
        waiting = undefined;
        resolve([status, body]);
      };
      waiting = check;
      check();
    });
  const post = (d: { body: string; headers: Record<string, string> }, options: { path?: string; bodyPart?: string } = {}) => socket.write(rawPost(d, options.path, options.bodyPart));
  return { answer, post, close: () => socket.destroy() };
}

describe("readNodeBody: read deadlines, limit, aborts", () => {
  // the clock is faked (setTimeout and Date): each read's deadline is checked at the exact millisecond
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  /** Lets the streams' own ticks and the reader's microtask run, without moving the fake clock. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => process.nextTick(r));
  };

  it("each read gets its own deadline: the stalled ones time out, the others are read", async () => {
    const a = stream();
    const b = stream();
    const c = stream();
    const ra = readNodeBody(a, opts(150));
    const rb = codeOf(readNodeBody(b, opts(150)));
    const rc = readNodeBody(c, opts(150));
    a.end("first");
    c.write("third, ");
    await settle();
    await vi.advanceTimersByTimeAsync(50);
    c.end("in two parts");
    expect(Buffer.from(await ra).toString()).toBe("first");
    expect(Buffer.from(await rc).toString()).toBe("third, in two parts");
    // a read started later than b stalls too: it times out on its own deadline, not b's
    await vi.advanceTimersByTimeAsync(10);
    const d = stream();
    const rd = codeOf(readNodeBody(d, opts(150)));
    let dDone = false;
    void rd.then(() => (dDone = true));
    await settle();
    await vi.advanceTimersByTimeAsync(89); // 149 ms after b started
    let bDone = false;
    void rb.then(() => (bDone = true));
    await settle();
    expect(bDone).toBe(false);
    await vi.advanceTimersByTimeAsync(1); // 150 ms
    expect(await rb).toBe("body_timeout");
    expect(dDone).toBe(false); // d started 60 ms after b
    await vi.advanceTimersByTimeAsync(59);
    expect(dDone).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await rd).toBe("body_timeout");
  });

  it("different readTimeoutMs values keep separate deadlines", async () => {
    const slow = stream();
    const fast = stream();
    const rs = codeOf(readNodeBody(slow, opts(400)));
    const rf = codeOf(readNodeBody(fast, opts(80)));
    await settle();
    await vi.advanceTimersByTimeAsync(80);
    expect(await rf).toBe("body_timeout");
    await vi.advanceTimersByTimeAsync(300);
    slow.end("made it");
    expect(await rs).toBe("read");
  });

  it("a request whose body is all in (node:http marked it complete) sets no timer; one still arriving does", async () => {
    const done = stream();
    (done as unknown as { complete: boolean }).complete = true; // as the parser does once the message is in
    const r1 = readNodeBody(done, opts(100));
    await settle();
    expect(vi.getTimerCount()).toBe(0);
    done.end("{}");
    expect(Buffer.from(await r1).toString()).toBe("{}");
    const partial = stream();
    const r2 = codeOf(readNodeBody(partial, opts(100)));
    await settle();
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(await r2).toBe("body_timeout");
  });

  it("a body over the limit is refused at once; a later error or close on the stream is absorbed", async () => {
    const s = stream();
    const r = codeOf(readNodeBody(s, opts(1000, 10)));
    s.write("0123456789ab");
    expect(await r).toBe("body_too_large");
    s.destroy(new Error("socket reset after the answer"));
    await settle();
    const ok = stream();
    const r2 = readNodeBody(ok, opts(1000));
    ok.end("{}");
    expect(Buffer.from(await r2).toString()).toBe("{}");
  });

  it("a client that goes away mid-body is a ClientAbortError, not a timeout", async () => {
    const s = stream();
    const r = codeOf(readNodeBody(s, opts(1000)));
    s.write("part");
    s.destroy();
    expect(await r).toBe("ClientAbortError");
  });
});

describe("sendNode: the answer's JSON text", () => {
  /** What sendNode writes: status, headers and the body text, on a stand-in response. */
  function written(body: unknown) {
    const headers: Record<string, string> = {};
    let text: string | undefined;
    const res = { statusCode: 0, setHeader: (n: string, v: string) => void (headers[n] = v), end: (b: string) => void (text = b) };
    sendNode(res, { status: 200, headers: { "content-type": "application/json; charset=utf-8" }, body } as never);
    return { status: res.statusCode, headers, text };
  }

  it("a 200 answer's { status } is written as JSON.stringify would", () => {
    for (const status of ["received", "duplicate", "ignored"]) {
      expect(written({ status }).text).toBe(JSON.stringify({ status }));
    }
  });

  it("a body with more than { status }, or another status, is JSON.stringify's text (nothing dropped)", () => {
    expect(JSON.parse(written({ status: "received", extra: 1 }).text!)).toEqual({ status: "received", extra: 1 });
    expect(written({ extra: 1, status: "received" }).text).toBe('{"extra":1,"status":"received"}');
    expect(written({ status: "toString" }).text).toBe('{"status":"toString"}');
    expect(written({ status: "queued" }).text).toBe('{"status":"queued"}');
    expect(written({ error: { code: "x", message: "y" } }).text).toBe('{"error":{"code":"x","message":"y"}}');
    const inherited = Object.assign(Object.create({ note: "from the prototype" }), { status: "received" });
    expect(written(inherited).text).toBe(JSON.stringify(inherited));
  });

  it("an error answer from the pipeline keeps its code and message", async () => {
    const wh = createGeminiWebhooks({ secret: `whsec_${Buffer.alloc(32, 1).toString("base64")}`, idempotency: false });
    const result = await wh.handle({ method: "POST", body: "{}", headers: {} });
    expect(written(result.body).text).toBe(JSON.stringify(result.body));
    expect(JSON.parse(written(result.body).text!).error.code).toBe("missing_header");
  });
});

describe("bodyText: what JSON.stringify would write, always", () => {
  it("a class instance or an own toJSON goes through JSON.stringify", async () => {
    const { bodyText } = await import("@gemini-webhooks/core/adapter");
    class Body {
      status = "received";
      toJSON() {
        return { status: "custom" };
      }
    }
    expect(bodyText(new Body())).toBe('{"status":"custom"}');
    expect(bodyText({ status: "received", toJSON: () => "x" })).toBe('"x"');
    expect(bodyText(Object.assign(Object.create(null), { status: "duplicate" }))).toBe('{"status":"duplicate"}');
    expect(bodyText({ status: "ignored" })).toBe('{"status":"ignored"}');
  });
});

describe("the 200 bodies: shared, frozen, written as JSON.stringify would", () => {
  it("received, duplicate and ignored answers from handle() carry frozen bodies whose text is JSON.stringify's", async () => {
    const { bodyText } = await import("@gemini-webhooks/core/adapter");
    const wh = receiver({ on: { "batch.succeeded": () => {} } });
    const first = signed();
    const answers = [await wh.handle(first), await wh.handle(first), await wh.handle(signed({ type: "video.generated", data: { id: "v1" } }, { id: "msg_2" }))];
    expect(answers.map((a) => a.body)).toEqual([{ status: "received" }, { status: "duplicate" }, { status: "ignored" }]);
    for (const a of answers) {
      expect(Object.isFrozen(a.body)).toBe(true);
      expect(bodyText(a.body)).toBe(JSON.stringify(a.body));
      expect(() => {
        (a.body as { status: string }).status = "changed";
      }).toThrow(TypeError);
    }
    // each answer's headers are its own: a caller may add to them
    answers[0]!.headers["x-extra"] = "1";
    expect(answers[1]!.headers["x-extra"]).toBeUndefined();
  });
});

describe("receiveNode over node:http: a client gone before the answer", () => {
  it("the answer to a response already destroyed is dropped: no throw, no error event, the delivery completes", async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const handlerEntered = new Promise<void>((r) => (entered = r));
    const completed: string[] = [];
    const webhooks = receiver({
      now: undefined,
      on: {
        "batch.succeeded": async (_event, ctx) => {
          entered();
          await released;
          completed.push(ctx.webhookId);
        },
      },
    });
    const errors: unknown[] = [];
    let closed!: () => void;
    const resClosed = new Promise<void>((r) => (closed = r));
    let answered: Promise<unknown> | undefined;
    const running = await serve((req, res) => {
      res.on("error", (e) => errors.push(e));
      res.on("close", () => closed());
      answered = receiveNode(webhooks, req, res, { framework: "node" });
    });
    try {
      const d = signed(undefined, { id: "msg_gone", timestamp: Math.floor(Date.now() / 1000) });
      const socket = connect(Number(new URL(running.base).port), "127.0.0.1", () => socket.write(rawPost(d)));
      socket.on("error", () => {});
      await handlerEntered;
      socket.destroy();
      await resClosed; // the server saw the client go: the response is destroyed
      release();
      const result = (await answered) as { status: number; body: unknown };
      expect(result).toMatchObject({ status: 200, body: { status: "received" } });
      expect(completed).toEqual(["msg_gone"]);
      // Node reports a write to a destroyed response on the next tick, if at all: two turns of the loop
      for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r));
      expect(errors).toEqual([]);
    } finally {
      await running.close();
    }
  });
});

describe("receiveNode over node:http: read deadlines on a keep-alive connection", () => {
  it("after earlier deliveries on the connection, a stalled body gets 408 a full readTimeoutMs after its own start", async () => {
    const timeoutMs = 300;
    const webhooks = receiver({ now: undefined, readTimeoutMs: timeoutMs });
    const running = await serve((req, res) => void receiveNode(webhooks, req, res, { framework: "node" }));
    const real = globalThis.setTimeout;
    const c = await connection(Number(new URL(running.base).port));
    try {
      const now = Math.floor(Date.now() / 1000);
      for (let i = 0; i < 5; i++) {
        c.post(signed(undefined, { id: `msg_keepalive_${i}`, timestamp: now }));
        expect(await c.answer()).toEqual([200, '{"status":"ignored"}']);
      }
      // later than the first read's deadline would have been: this read's deadline counts from its own start
      await new Promise((r) => real(r, timeoutMs - 50));
      const stalled = signed(undefined, { id: "msg_keepalive_stalled", timestamp: now });
      const started = Date.now();
      c.post(stalled, { bodyPart: stalled.body.slice(0, 10) });
      const [status, body] = await c.answer();
      const waited = Date.now() - started;
      expect(status).toBe(408);
      expect(JSON.parse(body).error.code).toBe("body_timeout");
      expect(waited).toBeGreaterThanOrEqual(timeoutMs - 20);
      expect(waited).toBeLessThan(timeoutMs + 1500);
    } finally {
      c.close();
      await running.close();
    }
  });

  it("receivers with different readTimeoutMs on one connection each keep their own deadline", async () => {
    const fast = receiver({ now: undefined, readTimeoutMs: 150 });
    const slow = receiver({ now: undefined, readTimeoutMs: 2000 });
    const running = await serve((req, res) => void receiveNode(req.url === "/fast" ? fast : slow, req, res, { framework: "node" }));
    const port = Number(new URL(running.base).port);
    const now = Math.floor(Date.now() / 1000);
    const c = await connection(port);
    try {
      // a delivery to the slow receiver, then a stalled one to the fast receiver on the same connection
      const a = signed(undefined, { id: "msg_slow_first", timestamp: now });
      const b = signed(undefined, { id: "msg_fast_stalled", timestamp: now });
      c.post(a, { path: "/slow" });
      expect(await c.answer()).toEqual([200, '{"status":"ignored"}']);
      const started = Date.now();
      c.post(b, { path: "/fast", bodyPart: b.body.slice(0, 10) });
      const [status] = await c.answer();
      expect(status).toBe(408);
      expect(Date.now() - started).toBeLessThan(1500); // the fast receiver's 150 ms, not the slow one's 2,000
    } finally {
      c.close();
      await running.close();
    }
  });
});

describe("receiveNode: the webhook headers as node:http gives them", () => {
  it("names sent in any case are read; a header sent twice, in any case, is refused with invalid_header", async () => {
    const webhooks = receiver({ now: undefined });
    const running = await serve((req, res) => void receiveNode(webhooks, req, res, { framework: "node" }));
    const c = await connection(Number(new URL(running.base).port));
    try {
      const now = Math.floor(Date.now() / 1000);
      const d = signed(undefined, { id: "msg_any_case", timestamp: now });
      const capitalised = Object.fromEntries(Object.entries(d.headers).map(([k, v]) => [k.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()), v]));
      expect(Object.keys(capitalised)).toContain("Webhook-Id");
      c.post({ body: d.body, headers: capitalised });
      expect(await c.answer()).toEqual([200, '{"status":"ignored"}']);
      for (const [name, value] of [["Webhook-Id", "msg_other"], ["WEBHOOK-TIMESTAMP", String(now)], ["webhook-Signature", "v1,AAAA"]] as const) {
        const e = signed(undefined, { id: `msg_twice_${name}`, timestamp: now });
        c.post({ body: e.body, headers: { ...e.headers, [name]: value } });
        const [status, body] = await c.answer();
        expect([status, JSON.parse(body).error.code]).toEqual([400, "invalid_header"]);
        expect(JSON.parse(body).error.message).toContain(name.toLowerCase());
      }
    } finally {
      c.close();
      await running.close();
    }
  });

  it("a hand-made request with a header as an array: one value is read, two are refused", async () => {
    const d = signed();
    const result = async (signature: string[]) => {
      const s = stream({ ...d.headers, "webhook-signature": signature as unknown as string });
      const pending = receiveNode(receiver(), s, undefined, { framework: "node" });
      s.end(d.body);
      const r = await pending;
      return r.status === 200 ? (r.body as { status: string }).status : (r.body as { error: { code: string } }).error.code;
    };
    expect(await result([d.headers["webhook-signature"]!])).toBe("ignored");
    expect(await result([d.headers["webhook-signature"]!, "v1,AAAA"])).toBe("invalid_header");
    expect(await result([])).toBe("missing_header");
  });
});
