import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { PrivateKeyInput } from "./private-key.js";
import { signJwt, type JwtDelivery, type JwtKeyInput, type SignJwtInput } from "./sign-jwt.js";
import { signV1a, type SignV1aInput } from "./sign-v1a.js";
import type { SignedDelivery } from "./sign-static.js";

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

export interface TestKey {
  kid: string | undefined;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public JWK as served. */
  jwk: Record<string, unknown>;
}

export interface TestIssuerOptions {
  /** Audience put in tokens by default (and suggested by jwksOptions()). Default "test-audience". */
  audience?: string;
  /** Issuer put in tokens by default. Default "https://test-issuer.local". */
  issuer?: string;
  /** Serve the Ed25519 key without a `kid` (as a v1a JWKS may). Default false. */
  ed25519WithoutKid?: boolean;
  /** RSA modulus length. Default 2048. */
  rsaBits?: number;
  /** Port on 127.0.0.1. Default 0 (any free port). */
  port?: number;
  /** Sign with these keys instead of fresh ones (e.g. keys kept on disk, so a receiver's cached JWKS stays valid). */
  keys?: { ed25519: { privateKey: KeyObject; kid?: string }; rsa: { privateKey: KeyObject; kid?: string } };
}

export interface TestIssuer {
  /** http://127.0.0.1:<port>/.well-known/jwks.json */
  readonly jwksUri: string;
  readonly audience: string;
  readonly issuer: string;
  /** How many requests the JWKS endpoint got (faulty ones included). */
  readonly fetchCount: number;
  /** Bytes of filler the "flood" fault has sent so far (what the receiver let through before it hung up). */
  readonly floodBytes: number;
  /** The signing keys in use now. */
  readonly ed25519: TestKey;
  readonly rsa: TestKey;
  /** The public key set served now. */
  jwks(): { keys: Record<string, unknown>[] };
  /** The `jwks` option for a receiver that trusts this issuer: { uri, audience, issuer, ...extra }. */
  jwksOptions<T extends object>(extra?: T): { uri: string; audience: string; issuer: string } & T;
  /** New Ed25519 and RSA keys; the old ones stay served (`keepOld`, default false) or are dropped. */
  rotate(options?: { keepOld?: boolean }): void;
  /** The next `times` (default 1) fetches show `fault`. */
  inject(fault: JwksFault | JwksFaultOptions): void;
  /** Same as inject({ kind, times }). */
  failNext(kind: JwksFault, times?: number): void;
  /** Drops queued faults, hung requests and streams in progress (flood, drip). */
  heal(): void;
  /** Serves this JSON instead of the key set (undefined: back to the key set). */
  serve(json: unknown): void;
  /** Signs a v1a delivery with the current Ed25519 key (or another key). */
  signV1a(input: SignV1aInput & { privateKey?: PrivateKeyInput }): SignedDelivery;
  /**
   * Signs a JWT delivery with this issuer's audience and issuer (each overridable) and its current RSA key
   * (RS256), or its Ed25519 key (EdDSA) with `signWith: "ed25519"`, or any key given.
   */
  signJwt(input: SignJwtInput & JwtKeyInput & { signWith?: "rsa" | "ed25519" }): JwtDelivery;
  /** Stops the server (hung requests and streams in progress are dropped). */
  close(): Promise<void>;
}

let kidCounter = 0;
function newKid(kind: string): string {
  return `test-${kind}-${++kidCounter}-${randomBytes(3).toString("hex")}`;
}

function makeKey(kind: "ed25519" | "rsa", bits: number, withKid: boolean, given?: { privateKey: KeyObject; kid?: string }): TestKey {
  const { privateKey, publicKey } = given
    ? { privateKey: given.privateKey, publicKey: createPublicKey(given.privateKey) }
    : kind === "ed25519"
      ? generateKeyPairSync("ed25519")
      : generateKeyPairSync("rsa", { modulusLength: bits });
  const kid = given ? given.kid : withKid ? newKid(kind) : undefined;
  const jwk = { ...(publicKey.export({ format: "jwk" }) as Record<string, unknown>), ...(kid ? { kid } : {}), use: "sig", alg: kind === "ed25519" ? "EdDSA" : "RS256" };
  return { kid, privateKey, publicKey, jwk };
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

/**
 * A local stand-in for Google's JWKS: Ed25519 and RS256 keys, served on 127.0.0.1, with faults on demand
 * (errors, hangs, redirects, floods, a drip), signing v1a and JWT deliveries, so dynamic-webhook handlers can
 * be tested offline.
 *
 *   const issuer = await createTestIssuer();
 *   const webhooks = createGeminiWebhooks({ jwks: issuer.jwksOptions(), on: {...} });
 *   const d = issuer.signV1a({ event: fixture("batch.succeeded") });   // or issuer.signJwt({ event })
 *   await webhooks.handle({ body: d.body, headers: d.headers, method: "POST" });
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const audience = options.audience ?? "test-audience";
  const issuerName = options.issuer ?? "https://test-issuer.local";
  const bits = options.rsaBits ?? 2048;
  let ed = makeKey("ed25519", bits, !options.ed25519WithoutKid, options.keys?.ed25519);
  let rsa = makeKey("rsa", bits, true, options.keys?.rsa);
  let served: Record<string, unknown>[] = [ed.jwk, rsa.jwk];
  let override: { json: unknown } | undefined;
  const faults: Array<{ fault: JwksFaultOptions; left: number }> = [];
  /** Responses left open on purpose (hang, stall, flood, drip): dropped by heal() and close(). */
  const open = new Set<ServerResponse>();
  const timers = new Set<ReturnType<typeof setInterval>>();
  const sockets = new Set<Socket>();
  let fetchCount = 0;
  let floodBytes = 0;

  const keySet = () => ({ keys: served.map((k) => ({ ...k })) });
  const body = () => JSON.stringify(override ? override.json : keySet());
  const keep = (res: ServerResponse) => {
    open.add(res);
    res.on("close", () => open.delete(res));
  };

  const nextFault = (): JwksFaultOptions | undefined => {
    const head = faults[0];
    if (!head) return undefined;
    if (--head.left <= 0) faults.shift();
    return head.fault;
  };

  function drip(res: ServerResponse, f: JwksFaultOptions): void {
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

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.split("?")[0] !== "/.well-known/jwks.json") {
      res.writeHead(404).end();
      return;
    }
    fetchCount++;
    const fault = nextFault();
    switch (fault?.kind) {
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
        drip(res, fault);
        return;
      default:
        res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(body());
    }
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const jwksUri = `http://127.0.0.1:${port}/.well-known/jwks.json`;

  const dropOpen = () => {
    for (const t of timers) clearInterval(t);
    timers.clear();
    for (const res of open) res.destroy();
    open.clear();
  };

  const issuer: TestIssuer = {
    jwksUri,
    audience,
    issuer: issuerName,
    get fetchCount() {
      return fetchCount;
    },
    get floodBytes() {
      return floodBytes;
    },
    get ed25519() {
      return ed;
    },
    get rsa() {
      return rsa;
    },
    jwks: keySet,
    jwksOptions: <T extends object>(extra?: T) => ({ uri: jwksUri, audience, issuer: issuerName, ...(extra ?? ({} as T)) }),
    rotate({ keepOld = false } = {}) {
      ed = makeKey("ed25519", bits, !options.ed25519WithoutKid);
      rsa = makeKey("rsa", bits, true);
      served = keepOld ? [ed.jwk, rsa.jwk, ...served] : [ed.jwk, rsa.jwk];
    },
    inject(fault) {
      const f = typeof fault === "string" ? { kind: fault } : fault;
      if (f.kind === "redirect" && typeof f.location !== "string") throw new TypeError('a "redirect" fault needs a location');
      const times = f.times ?? 1;
      if (times > 0) faults.push({ fault: f, left: times });
    },
    failNext(kind, times = 1) {
      issuer.inject({ kind, times });
    },
    heal() {
      faults.length = 0;
      dropOpen();
    },
    serve(json) {
      override = json === undefined ? undefined : { json };
    },
    signV1a: (input) => signV1a({ ...input, privateKey: input.privateKey ?? ed.privateKey }),
    signJwt: ({ signWith = "rsa", ...input }) => {
      const own = input.privateKey === undefined && input.hmacKey === undefined && !input.unsigned;
      const key = signWith === "ed25519" ? ed : rsa;
      return signJwt({
        audience,
        issuer: issuerName,
        ...input,
        ...(own ? { privateKey: key.privateKey, kid: "kid" in input ? input.kid : key.kid } : {}),
      });
    },
    close: async () => {
      dropOpen();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return issuer;
}
