import type { KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { PrivateKeyInput } from "../private-key.js";
import { signJwt, type JwtDelivery, type JwtKeyInput, type SignJwtInput } from "../sign-jwt.js";
import { signV1a, type SignV1aInput } from "../sign-v1a.js";
import type { SignedDelivery } from "../sign-static.js";
import { createFaultResponder, type JwksFault, type JwksFaultOptions } from "./faults.js";
import { makeKey, type TestKey } from "./keys.js";

export type { JwksFault, JwksFaultOptions } from "./faults.js";
export type { TestKey } from "./keys.js";

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
  const faults = createFaultResponder();
  const sockets = new Set<Socket>();
  let fetchCount = 0;

  const keySet = () => ({ keys: served.map((k) => ({ ...k })) });
  const body = () => JSON.stringify(override ? override.json : keySet());

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.split("?")[0] !== "/.well-known/jwks.json") {
      res.writeHead(404).end();
      return;
    }
    fetchCount++;
    const fault = faults.next();
    if (fault) faults.respond(res, fault, body);
    else res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(body());
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

  const issuer: TestIssuer = {
    jwksUri,
    audience,
    issuer: issuerName,
    get fetchCount() {
      return fetchCount;
    },
    get floodBytes() {
      return faults.floodBytes;
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
    inject: (fault) => faults.inject(fault),
    failNext(kind, times = 1) {
      issuer.inject({ kind, times });
    },
    heal() {
      faults.clear();
      faults.dropOpen();
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
      faults.dropOpen();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return issuer;
}
