import type { ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

// What the test issuer's JWKS endpoint can be made to do wrong, and how it does it: errors, hangs, redirects,
// a flood of bytes, a drip. The faults are queued (inject) and each fetch takes the next one.

/** A fault the JWKS endpoint shows on its next fetch(es). */
export type JwksFault =
  /** HTTP 500. */
  | "500"
  /** Accepts the request and never answers. */
  | "hang"
  /** Sends 200 and half a body, then stalls. */
  | "stall"
  /** 200 with a body that is not JSON. */
  | "badjson"
  /** 200 with JSON that is not a key set. */
  | "notjwks"
  /** A redirect (302 unless `status` says otherwise) to `location`, e.g. another issuer serving an attacker's keys. */
  | "redirect"
  /**
   * 200, chunked (no content-length, unless `declareLength`): `{"keys":[`, then `bytes` of whitespace generated
   * as it streams (never held in memory, sent only as fast as the client reads), then `]}`.
   */
  | "flood"
  /** 200 with the real key set, trickled `chunkBytes` (default 1) every `intervalMs` (default 100). */
  | "drip";

/** A fault with its parameters; `times` (default 1) is how many fetches show it, `Infinity` until heal(). */
export interface JwksFaultOptions {
  kind: JwksFault;
  times?: number;
  /** redirect: where to. */
  location?: string;
  /** redirect: the status (default 302). */
  status?: 301 | 302 | 303 | 307 | 308;
  /** flood: how many bytes of filler (default 400 MiB). */
  bytes?: number;
  /** flood: declare the whole length in content-length instead of sending it chunked (default false). */
  declareLength?: boolean;
  /** drip: milliseconds between chunks (default 100). */
  intervalMs?: number;
  /** drip: bytes per chunk (default 1). */
  chunkBytes?: number;
}

const FILLER = Buffer.alloc(64 * 1024, 0x20); // JSON whitespace

/** `{"keys":[` + `bytes` of whitespace + `]}`, made chunk by chunk as the reader pulls. */
function floodBody(bytes: number, sent: (n: number) => void): Readable {
  return Readable.from(
    (function* () {
      yield Buffer.from('{"keys":[');
      for (let left = bytes; left > 0; ) {
        const n = Math.min(FILLER.length, left);
        left -= n;
        sent(n);
        yield n === FILLER.length ? FILLER : FILLER.subarray(0, n);
      }
      yield Buffer.from("]}");
    })(),
    { objectMode: false },
  );
}

/** The issuer's fault queue and the responses it keeps open (hang, stall, flood, drip). */
export interface FaultResponder {
  /** Queues a fault for the next `times` fetches. */
  inject(fault: JwksFault | JwksFaultOptions): void;
  /** Takes the next queued fault (undefined: answer normally). */
  next(): JwksFaultOptions | undefined;
  /** Answers `res` with the fault; `body` is what a healthy fetch would get. */
  respond(res: ServerResponse, fault: JwksFaultOptions, body: () => string): void;
  /** Bytes of filler the flood fault has sent so far. */
  readonly floodBytes: number;
  /** Drops queued faults. */
  clear(): void;
  /** Drops the responses left open and their timers. */
  dropOpen(): void;
}

export function createFaultResponder(): FaultResponder {
  const faults: Array<{ fault: JwksFaultOptions; left: number }> = [];
  /** Responses left open on purpose (hang, stall, flood, drip): dropped by dropOpen(). */
  const open = new Set<ServerResponse>();
  const timers = new Set<ReturnType<typeof setInterval>>();
  let floodBytes = 0;
  const keep = (res: ServerResponse) => {
    open.add(res);
    res.on("close", () => open.delete(res));
  };

  function drip(res: ServerResponse, f: JwksFaultOptions, body: () => string): void {
    const text = Buffer.from(body());
    const step = Math.max(1, f.chunkBytes ?? 1);
    let at = 0;
    res.writeHead(200, { "content-type": "application/json" });
    keep(res);
    const timer = setInterval(() => {
      if (res.destroyed || at >= text.length) {
        clearInterval(timer);
        timers.delete(timer);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(text.subarray(at, at + step));
      at += step;
    }, f.intervalMs ?? 100);
    timers.add(timer);
  }

  return {
    inject(fault) {
      const f = typeof fault === "string" ? { kind: fault } : fault;
      if (f.kind === "redirect" && typeof f.location !== "string") throw new TypeError('a "redirect" fault needs a location');
      const times = f.times ?? 1;
      if (times > 0) faults.push({ fault: f, left: times });
    },
    next() {
      const head = faults[0];
      if (!head) return undefined;
      if (--head.left <= 0) faults.shift();
      return head.fault;
    },
    respond(res, fault, body) {
      switch (fault.kind) {
        case "500":
          res.writeHead(500, { "content-type": "text/plain" }).end("internal error");
          return;
        case "hang":
          keep(res);
          return;
        case "stall":
          res.writeHead(200, { "content-type": "application/json" });
          res.write('{"keys":[');
          keep(res);
          return;
        case "badjson":
          res.writeHead(200, { "content-type": "application/json" }).end("{not json");
          return;
        case "notjwks":
          res.writeHead(200, { "content-type": "application/json" }).end('{"keys":"none"}');
          return;
        case "redirect":
          res.writeHead(fault.status ?? 302, { location: fault.location! }).end();
          return;
        case "flood": {
          const bytes = fault.bytes ?? 400 * 1024 * 1024;
          // without content-length node sends it chunked
          res.writeHead(200, { "content-type": "application/json", ...(fault.declareLength ? { "content-length": String(bytes + 11) } : {}) });
          keep(res);
          pipeline(floodBody(bytes, (n) => (floodBytes += n)), res).catch(() => undefined);
          return;
        }
        case "drip":
          drip(res, fault, body);
          return;
      }
    },
    get floodBytes() {
      return floodBytes;
    },
    clear() {
      faults.length = 0;
    },
    dropOpen() {
      for (const t of timers) clearInterval(t);
      timers.clear();
      for (const res of open) res.destroy();
      open.clear();
    },
  };
}
