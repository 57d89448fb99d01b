import type { SignatureScheme, WebhookErrorCode, WebhookVerificationError } from "../errors.js";
import type { AnyGeminiEvent, GeminiEventOf, GeminiEventType, GeminiWebhookEvent, UserMetadata } from "../events.js";
import type { CryptoProvider } from "../lib/crypto.js";
import type { DeadLetterStore, IdempotencyStore } from "../stores/contracts.js";
import type { HeadersInput } from "../verify/headers.js";

/** What every handler receives beside the event. */
export interface WebhookContext {
  /**
   * The delivery's id, from signed material only: `webhook-id` (v1, v1a: it is inside the signed string);
   * JWT: the `jti`, else the SHA-256 (hex) of the token's signing input. Safe to use as your own
   * idempotency key. Reconciliation: the job's name.
   */
  webhookId: string;
  /** `webhook-timestamp` (JWT scheme without it: `iat`). */
  timestamp: Date;
  scheme: SignatureScheme;
  /** v1: index of the configured secret that matched. */
  secretIndex?: number;
  /** v1a / jwt: the `kid` of the JWK that verified, when it has one. */
  keyId?: string;
  /** jwt: the verified claims. */
  claims?: Record<string, unknown>;
  /** The exact bytes that were verified. */
  rawBody: Uint8Array;
  /** The key this delivery was claimed under in the idempotency store (namespaced). */
  idempotencyKey: string;
}

/** A handler: the event and its context (`X`: what the idempotency store's unit of work adds, e.g. `{ db }`). */
export type WebhookHandler<E = AnyGeminiEvent, X extends object = {}> = (event: E, ctx: WebhookContext & X) => unknown;

/** The `on` option: a handler (or several) per event type, `"*"` for every event. */
export type HandlerMap<M = UserMetadata, X extends object = {}> = {
  [T in GeminiEventType]?: WebhookHandler<GeminiEventOf<T, M>, X> | ReadonlyArray<WebhookHandler<GeminiEventOf<T, M>, X>>;
} & {
  "*"?: WebhookHandler<AnyGeminiEvent<M>, X> | ReadonlyArray<WebhookHandler<AnyGeminiEvent<M>, X>>;
};

export interface ErrorContext {
  /** Where it failed. */
  stage: "verify" | "store" | "handler" | "queue" | "complete" | "read" | "hook" | "dead_letters";
  webhookId?: string;
  event?: AnyGeminiEvent;
  code?: WebhookErrorCode;
}

export interface JwksOptions {
  /** JWKS URL. Default: Google's, https://generativelanguage.googleapis.com/.well-known/jwks.json. Never taken from a request. */
  uri?: string;
  /** Expected `aud` of JWT deliveries. Needed only for the JWT scheme. */
  audience?: string | string[];
  /** Expected `iss` of JWT deliveries (optional). */
  issuer?: string | string[];
  /** JWS algorithms accepted. Default ["RS256"]. */
  algorithms?: string[];
  /** Least time between two JWKS fetches caused by unknown keys. Default 30 s. */
  cooldownMs?: number;
  /** How long a fetched JWKS is trusted. Default 10 min. */
  cacheMaxAgeMs?: number;
  /** JWKS fetch timeout. Default 5 s. */
  timeoutMs?: number;
  /** JWT claims that must be present. Default ["exp"]. */
  requiredClaims?: string[];
  /** Largest JWT accepted, checked before parsing. Default 8 KiB. */
  maxTokenBytes?: number;
  /** Clock skew allowed on exp/nbf, seconds. Default 30. */
  clockToleranceSeconds?: number;
}

/** Durable mode: the verified event is put on a queue before the 200. */
export interface WebhookQueue {
  /** Must be idempotent on `ctx.idempotencyKey` (use it as the job id). */
  enqueue(event: AnyGeminiEvent, ctx: WebhookContext): Promise<void>;
}

/** Anything with these four methods: console, pino, winston, Nest's Logger. */
export interface WebhookLogger {
  debug(message: string, ...rest: unknown[]): unknown;
  info(message: string, ...rest: unknown[]): unknown;
  warn(message: string, ...rest: unknown[]): unknown;
  error(message: string, ...rest: unknown[]): unknown;
}

/** What a hook learns about one handler run. */
export interface HandlerRunInfo {
  event: AnyGeminiEvent;
  ctx: WebhookContext;
  /** Position among the handlers this event reaches. */
  index: number;
  /** The handler function's name ("anonymous" when it has none). */
  name: string;
}

/** Hears what happens to one delivery. Every method is optional; one that throws is logged and ignored. */
export interface DeliveryObserver {
  /** Verification passed (for process() and replays: the event was accepted). */
  verified?(event: AnyGeminiEvent, ctx: WebhookContext): void;
  /** Wraps one handler run: call run() once and return its promise (e.g. inside an active span). */
  handler?<T>(info: HandlerRunInfo, run: () => Promise<T>): Promise<T>;
  /** The delivery's answer; called once. */
  end?(result: HandleResult): void;
}

/** The lifecycle seam (filled by @gemini-webhooks/otel): no telemetry library in core. */
export interface WebhookHooks {
  /** A delivery starts (an HTTP delivery, process(), or a dead-letter replay). */
  onDelivery?(start: { startedAt: number }): DeliveryObserver | void;
}

export interface GeminiWebhooksOptions<M = UserMetadata, X extends object = {}> {
  /** `whsec_…` signing secret(s) of a static webhook; several during a rotation grace period. */
  secret?: string | readonly string[] | undefined;
  /**
   * `whpk_…` Ed25519 public key(s): Standard Webhooks v1a with pinned keys (any Standard Webhooks sender;
   * Gemini's v1a when you pin its key). Enough on its own; tried before the JWKS when both are given.
   */
  publicKey?: string | readonly string[] | undefined;
  /** Enables dynamic webhooks (v1a Ed25519 and JWT) verified against a JWKS. */
  jwks?: JwksOptions | undefined;
  /** Replay window, seconds, in both directions. Default 300. */
  toleranceSeconds?: number;
  /** Clock, epoch ms. Default Date.now. */
  now?: () => number;
  /**
   * Idempotency store; default a new in-memory store; `false` disables dedupe. A store with a unit of work
   * (`postgresStore({ transactional: true })`) gives every handler what the unit adds (`ctx.db`).
   */
  idempotency?: IdempotencyStore<X> | false;
  /** Prefix of idempotency keys, so several receivers can share one store. Default "gemini". */
  namespace?: string;
  /** Largest body accepted (413 past it). Default 1 MiB. */
  maxBodyBytes?: number;
  on?: HandlerMap<M, X>;
  onError?: (error: unknown, ctx: ErrorContext) => void;
  /** "handled" (default): answer after the handlers; "immediate": answer after verify + claim. */
  ack?: "handled" | "immediate";
  /** Durable mode: enqueue instead of running handlers in the request. */
  queue?: WebhookQueue;
  /** Where the receiver logs: console (default, level warn), pino, winston…; `false` silences it. */
  logger?: WebhookLogger | false;
  /** Lifecycle hooks (telemetry): one object or several. */
  hooks?: WebhookHooks | readonly WebhookHooks[];
  /** Where failed deliveries are kept (default: a bounded in-memory list); `false`: not kept. */
  deadLetters?: DeadLetterStore | false;
  /**
   * What the idempotency key is: "delivery" (default: the delivery's signed id) or "event" (event type +
   * job id, so one job outcome runs once whichever webhook or reconciliation brought it).
   */
  dedupeBy?: "delivery" | "event";
  /** Longest wait for the whole request body (adapters that read a stream answer 408 past it). Default 30 s. */
  readTimeoutMs?: number;
  /** The crypto backend (default: node:crypto where the runtime has it, else Web Crypto). */
  crypto?: CryptoProvider;
}

/** The raw request, framework-neutral. */
export interface WebhookRequest {
  /** The raw bytes, or the exact string. Never a parsed object. */
  body: Uint8Array | ArrayBuffer | string;
  headers: HeadersInput;
  method?: string;
}

export type WebhookResponseBody =
  | { status: "received" | "ignored" | "duplicate" }
  | { error: { code: WebhookErrorCode; message: string } };

/** An event that did not come over HTTP (reconciliation, a replay), for `process()`. */
export interface ProcessContext {
  /** Its id (reconciliation: the job's name). */
  webhookId: string;
  scheme: SignatureScheme;
  /** When it happened. Default: now. */
  timestamp?: Date;
}

export interface HandleResult<M = UserMetadata> {
  status: number;
  /** The JSON body to send. The 200 bodies (`{ status }`) are shared and frozen: copy one to change it. */
  body: WebhookResponseBody;
  /** Response headers to send (content-type, allow); each answer's own. */
  headers: Record<string, string>;
  event?: AnyGeminiEvent<M>;
  ctx?: WebhookContext;
  error?: WebhookVerificationError;
}

export interface VerifiedDelivery<M = UserMetadata> {
  /**
   * Typed as the union of known events so `event.type === "batch.failed"` narrows `data`. At run time an
   * event of a type newer than this package can also arrive: check with isKnownEventType() when it matters.
   */
  event: GeminiWebhookEvent<M>;
  ctx: WebhookContext;
}
