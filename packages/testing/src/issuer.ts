import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { bodyOf, newMessageId, toEpochSeconds, type SignedDelivery } from "./sign-static.js";

/** A private key: a node KeyObject, a PEM string, or a private JWK. */
export type PrivateKeyInput = KeyObject | string | { kty: string; d: string; [k: string]: unknown };

function toKeyObject(key: PrivateKeyInput): KeyObject {
  if (typeof key === "object" && "asymmetricKeyType" in key) return key as KeyObject;
  if (typeof key === "string") return createPrivateKey(key);
  return createPrivateKey({ key: key as never, format: "jwk" });
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

// ---------------------------------------------------------------------------------------------- v1a

export interface SignV1aInput {
  /** The event to send (serialised with JSON.stringify), or… */
  event?: unknown;
  /** …the exact body to sign. */
  body?: string | Uint8Array;
  /** webhook-id; default a fresh `msg_…`. */
  id?: string;
  /** webhook-timestamp: epoch seconds, or a Date; default now. */
  timestamp?: number | Date;
}

/** Signs a delivery the way a dynamic Gemini webhook is delivered: Standard Webhooks v1a, Ed25519 over `id.timestamp.body`. */
export function signV1a(input: SignV1aInput & { privateKey: PrivateKeyInput }): SignedDelivery {
  const body = bodyOf(input);
  const id = input.id ?? newMessageId();
  const ts = toEpochSeconds(input.timestamp);
  const data = Buffer.concat([Buffer.from(`${id}.${ts}.`), Buffer.from(body, "utf8")]);
  const sig = sign(null, data, toKeyObject(input.privateKey)).toString("base64");
  return {
    body,
    headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": `v1a,${sig}` },
  };
}

// ---------------------------------------------------------------------------------------------- JWT

/** How the token vouches for the body ("Dynamic body binding" in the design). */
export type JwtBodyBinding = "hash" | "claims" | "none";

export interface SignJwtInput {
  /** The event. With bindBody "claims" it goes into the claims; the body defaults to its JSON. */
  event?: unknown;
  /** The exact body to send (default: JSON of `event`; "" sends an empty body). */
  body?: string | Uint8Array;
  /** `aud` claim (omitted when undefined). */
  audience?: string | string[];
  /** `iss` claim. */
  issuer?: string;
  /** Default "hash": a SHA-256 of the body in `body_sha256`. */
  bindBody?: JwtBodyBinding;
  /** Which hash claim, and its encoding. Default body_sha256, hex. */
  hashClaim?: "body_sha256" | "request_body_sha256";
  hashEncoding?: "hex" | "base64url";
  /** The time the token is issued (`iat`, and webhook-timestamp): epoch seconds or a Date; default now. */
  timestamp?: number | Date;
  /** `exp` = iat + expiresIn seconds (default 300); null leaves `exp` out. */
  expiresIn?: number | null;
  /** Extra or overriding claims (undefined values remove a claim, e.g. { iat: undefined }). */
  claims?: Record<string, unknown>;
  /** Extra or overriding JWS header members (alg, kid, jku, jwk, crit…). */
  header?: Record<string, unknown>;
  /** webhook-id header (default a fresh `msg_…`); null sends none. */
  id?: string | null;
  /** Whether to send webhook-timestamp (default true). */
  sendTimestamp?: boolean;
}

export interface JwtKeyInput {
  /** RSA (RS256/PS256…), EC or Ed25519 (EdDSA) private key; or… */
  privateKey?: PrivateKeyInput;
  /** …an HMAC key (for the "HS256 keyed with the public key" attack); or… */
  hmacKey?: string | Uint8Array;
  /** …`"none"` for an unsigned token (alg none). */
  unsigned?: boolean;
  /** `kid` header (default none). */
  kid?: string;
}

function defaultAlg(key: JwtKeyInput): string {
  if (key.unsigned) return "none";
  if (key.hmacKey !== undefined) return "HS256";
  const k = toKeyObject(key.privateKey!);
  if (k.asymmetricKeyType === "ed25519" || k.asymmetricKeyType === "ed448") return "EdDSA";
  if (k.asymmetricKeyType === "ec") {
    const crv = k.asymmetricKeyDetails?.namedCurve;
    return crv === "secp384r1" ? "ES384" : crv === "secp521r1" ? "ES512" : "ES256";
  }
  return "RS256";
}

function jwsSign(headerAlg: string, data: Buffer, key: JwtKeyInput): Buffer {
  if (headerAlg.toLowerCase() === "none" || key.unsigned) return Buffer.alloc(0);
  // an alg this helper does not know (a test may claim anything in the header): sign as the key would
  const alg = /^(?:(?:RS|PS|ES|HS)(?:256|384|512)|EdDSA)$/.test(headerAlg) ? headerAlg : defaultAlg(key);
  if (key.hmacKey !== undefined) return createHmac(`sha${alg.slice(2) || "256"}`, key.hmacKey).update(data).digest();
  const k = toKeyObject(key.privateKey!);
  const bits = alg.slice(2);
  if (alg === "EdDSA") return sign(null, data, k);
  if (alg.startsWith("PS")) return sign(`sha${bits}`, data, { key: k, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: Number(bits) / 8 });
  if (alg.startsWith("ES")) return sign(`sha${bits}`, data, { key: k, dsaEncoding: "ieee-p1363" });
  return sign(`sha${bits}`, data, k);
}

/** A compact JWS over arbitrary header and claims (for tests, attacks included). */
export function signJwsCompact(header: Record<string, unknown>, payload: unknown, key: JwtKeyInput): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(jwsSign(String(header.alg), Buffer.from(input), key))}`;
}

/** A JWT-signed delivery: webhook-id / webhook-timestamp are there unless turned off. */
export interface JwtDelivery {
  body: string;
  headers: Record<string, string>;
  /** The compact JWT sent in webhook-signature. */
  token: string;
  claims: Record<string, unknown>;
}

/** Signs a delivery the way Gemini's docs describe dynamic webhooks: a JWT in `webhook-signature`. */
export function signJwt(input: SignJwtInput & JwtKeyInput): JwtDelivery {
  const binding = input.bindBody ?? "hash";
  if (binding === "claims" && input.event === undefined) throw new TypeError('bindBody "claims" needs an event');
  const body = input.body !== undefined || input.event !== undefined ? bodyOf(input) : "";
  const iat = toEpochSeconds(input.timestamp);
  const claims: Record<string, unknown> = {};
  if (input.issuer !== undefined) claims.iss = input.issuer;
  if (input.audience !== undefined) claims.aud = input.audience;
  claims.iat = iat;
  const expiresIn = input.expiresIn === undefined ? 300 : input.expiresIn;
  if (expiresIn !== null) claims.exp = iat + expiresIn;
  if (binding === "hash") {
    const digest = createHash("sha256").update(body).digest();
    claims[input.hashClaim ?? "body_sha256"] = input.hashEncoding === "base64url" ? digest.toString("base64url") : digest.toString("hex");
  } else if (binding === "claims") {
    Object.assign(claims, input.event as object);
  }
  for (const [k, v] of Object.entries(input.claims ?? {})) {
    if (v === undefined) delete claims[k];
    else claims[k] = v;
  }
  const header: Record<string, unknown> = { alg: defaultAlg(input), typ: "JWT", ...(input.kid !== undefined ? { kid: input.kid } : {}) };
  for (const [k, v] of Object.entries(input.header ?? {})) {
    if (v === undefined) delete header[k];
    else header[k] = v;
  }
  const token = signJwsCompact(header, claims, input);
  const headers: Record<string, string> = { "content-type": "application/json" };
  const id = input.id === undefined ? newMessageId() : input.id;
  if (id !== null) headers["webhook-id"] = id;
  if (input.sendTimestamp !== false) headers["webhook-timestamp"] = String(iat);
  headers["webhook-signature"] = token;
  return { body, headers, token, claims };
}

// ---------------------------------------------------------------------------------------------- issuer

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
  | "notjwks";

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
  inject(fault: JwksFault | { kind: JwksFault; times?: number }): void;
  /** Same as inject(kind, times). */
  failNext(kind: JwksFault, times?: number): void;
  /** Drops queued faults and hung requests. */
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
  /** Stops the server (hung requests are dropped). */
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

/**
 * A local stand-in for Google's JWKS: Ed25519 and RS256 keys, served on 127.0.0.1, with faults on demand,
 * signing v1a and JWT deliveries, so dynamic-webhook handlers can be tested offline.
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
  const faults: JwksFault[] = [];
  const hung = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let fetchCount = 0;

  const keySet = () => ({ keys: served.map((k) => ({ ...k })) });
  const answer = (res: ServerResponse) => {
    const body = JSON.stringify(override ? override.json : keySet());
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(body);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.split("?")[0] !== "/.well-known/jwks.json") {
      res.writeHead(404).end();
      return;
    }
    fetchCount++;
    const fault = faults.shift();
    switch (fault) {
      case "500":
        res.writeHead(500, { "content-type": "text/plain" }).end("internal error");
        return;
      case "hang":
        hung.add(res);
        return;
      case "stall":
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"keys":[');
        hung.add(res);
        return;
      case "badjson":
        res.writeHead(200, { "content-type": "application/json" }).end("{not json");
        return;
      case "notjwks":
        res.writeHead(200, { "content-type": "application/json" }).end('{"keys":"none"}');
        return;
      default:
        answer(res);
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

  const issuer: TestIssuer = {
    jwksUri,
    audience,
    issuer: issuerName,
    get fetchCount() {
      return fetchCount;
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
      const { kind, times = 1 } = typeof fault === "string" ? { kind: fault } : fault;
      for (let i = 0; i < times; i++) faults.push(kind);
    },
    failNext(kind, times = 1) {
      issuer.inject({ kind, times });
    },
    heal() {
      faults.length = 0;
      for (const res of hung) res.destroy();
      hung.clear();
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
      for (const res of hung) res.destroy();
      hung.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return issuer;
}

/** The PEM (SPKI) of a public key: what an "HS256 keyed with the RSA public key" forger would use. */
export function publicKeyPem(key: KeyObject | TestKey): string {
  const k = "publicKey" in key ? key.publicKey : createPublicKey(key);
  return k.export({ format: "pem", type: "spki" }).toString();
}
