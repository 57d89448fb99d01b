// A node:http request path without sockets (bench/receive.mjs, bench/cachegrind.mjs): a real IncomingMessage
// carrying a pre-signed 0.6 KB delivery, every one a webhook-id of its own, and a real ServerResponse (its
// output buffered, never sent), handed to an app as node:http hands them over.
import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import { eventBody } from "./common.mjs";

/**
 * `prepare(n)` signs n more deliveries (never timed); `one()` sends the next through `app`, resolved at end().
 * `prefix`: the webhook-ids' (random by default, so that processes never share ids).
 */
export function socketlessRequests({ app, secret, prefix = randomBytes(6).toString("hex") }) {
  const secretBytes = Buffer.from(secret.slice(6), "base64");
  const body = Buffer.from(eventBody(600));
  const ts = String(Math.floor(Date.now() / 1000));
  // stands in for the connection: open both ways, its events never fire
  const SOCKET = { readable: true, writable: true, on() {}, once() {}, removeListener() {}, off() {} };

  // Pre-signed deliveries, each used once. Only the raw signatures are kept, in one Buffer (one object: it
  // costs the collector nothing to mark); each request's headers object and strings are made as it is sent,
  // as node:http's parser makes them for every request.
  let sigs = Buffer.alloc(0);
  let first = 0; // the delivery number sigs[0..32) belongs to
  let cursor = 0; // the next delivery number
  let next = 0; // the first delivery number not yet signed
  const idOf = (n) => `msg_${prefix}${n.toString(16).padStart(10, "0")}`;
  function prepare(n) {
    const kept = sigs.subarray((cursor - first) * 32);
    const out = Buffer.allocUnsafe(kept.length + n * 32);
    kept.copy(out);
    for (let i = 0; i < n; i++) {
      createHmac("sha256", secretBytes).update(`${idOf(next++)}.${ts}.`).update(body).digest().copy(out, kept.length + i * 32);
    }
    sigs = out;
    first = cursor;
  }
  const CONTENT_LENGTH = String(body.length);
  function headers() {
    const n = cursor++;
    const at = (n - first) * 32;
    return {
      host: "127.0.0.1:3000",
      connection: "keep-alive",
      "content-type": "application/json",
      "content-length": CONTENT_LENGTH,
      "webhook-id": idOf(n),
      "webhook-timestamp": ts,
      "webhook-signature": `v1,${sigs.toString("base64", at, at + 32)}`,
    };
  }

  /** One request through the app, as node:http hands it over: headers parsed, then the body; done at end(). */
  function one() {
    const req = new http.IncomingMessage(null);
    req.method = "POST";
    req.url = "/hook";
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.httpVersion = "1.1";
    req.headers = headers();
    // what body parsers check (on-finished: a request whose socket is gone counts as already read)
    req.socket = SOCKET;
    const res = new http.ServerResponse(req);
    // without a socket a ServerResponse never emits "finish": the answer is complete when end() was called
    const done = new Promise((resolve) => {
      const end = res.end;
      res.end = function (...args) {
        const r = end.apply(this, args);
        resolve();
        return r;
      };
    });
    app(req, res);
    req.push(body);
    req.complete = true; // as node:http's parser does on the message's end
    req.push(null);
    return done;
  }

  /** Deliveries signed and not yet sent. */
  const left = () => next - cursor;
  return { prepare, one, left };
}
