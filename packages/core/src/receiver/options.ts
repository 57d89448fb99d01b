import { GeminiWebhooksConfigError } from "../errors.js";
import { defaultCryptoProvider, isCryptoProvider, type CryptoProvider } from "../lib/crypto.js";
import { functionOption, hasMethods, numberOption } from "../lib/validate.js";
import { resolveLogger } from "../logging.js";
import { DEFAULT_DONE_TTL_MS, DEFAULT_LEASE_MS, isDeadLetterStore, type DeadLetterStore, type IdempotencyStore } from "../stores/contracts.js";
import { memoryDeadLetters } from "../stores/memory-dead-letters.js";
import { memoryStore } from "../stores/memory.js";
import { resolveJwksOptions, type ResolvedJwksOptions } from "../verify/jwks-options.js";
import type { GeminiWebhooksOptions, WebhookHooks, WebhookLogger, WebhookQueue } from "./types.js";

/** Every option checked and every default filled in, once, at construction. */
export interface ResolvedOptions {
  secret: GeminiWebhooksOptions["secret"];
  publicKey: GeminiWebhooksOptions["publicKey"];
  /** `jwks` checked, its defaults filled in; undefined without dynamic webhooks. */
  jwks: ResolvedJwksOptions | undefined;
  toleranceSeconds: number;
  now: () => number;
  store: IdempotencyStore | undefined;
  leaseMs: number;
  doneTtlMs: number;
  namespace: string;
  maxBodyBytes: number;
  readTimeoutMs: number;
  ack: "handled" | "immediate";
  queue: WebhookQueue | undefined;
  logger: WebhookLogger;
  onError: GeminiWebhooksOptions["onError"];
  hooks: WebhookHooks[];
  deadLetters: DeadLetterStore | undefined;
  dedupeBy: "delivery" | "event";
  crypto: CryptoProvider;
}

function fail(option: string, message: string): never {
  throw new GeminiWebhooksConfigError(option, message);
}

const STORE_METHODS = ["claim", "complete", "release"] as const;
const LOG_METHODS = ["debug", "info", "warn", "error"] as const;

function store(v: unknown): IdempotencyStore | undefined {
  if (v === false) return undefined;
  if (v === undefined) return memoryStore();
  const missing = STORE_METHODS.filter((m) => !hasMethods(v, [m]));
  if (missing.length > 0) {
    fail("idempotency", `idempotency must be a store with claim, complete and release methods (memoryStore() or redisStore(client)), or false to disable dedupe; this one has no ${missing.join(", ")}.`);
  }
  return v as IdempotencyStore;
}

function hooks(v: unknown): WebhookHooks[] {
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  for (const h of list) {
    if (h === null || typeof h !== "object" || (h.onDelivery !== undefined && typeof h.onDelivery !== "function")) {
      fail("hooks", "hooks must be an object with an onDelivery(start) method (e.g. geminiTelemetry() from @gemini-webhooks/otel), or an array of them.");
    }
  }
  return list as WebhookHooks[];
}

/** Validates every option (a startup error with `code` "configuration", never a per-request one). */
export function resolveOptions(options: GeminiWebhooksOptions<any>): ResolvedOptions {
  if (options === null || typeof options !== "object") fail("options", "createGeminiWebhooks needs an options object.");
  if (options.secret === undefined && options.jwks === undefined && options.publicKey === undefined) {
    fail("secret", 'Give a secret (the "whsec_…" signing secret of a static webhook), jwks (for dynamic webhooks) or publicKey ("whpk_…", Standard Webhooks v1a), or several. Is GEMINI_WEBHOOK_SECRET set in this environment?');
  }
  functionOption("now", options.now, "() => epoch ms");
  functionOption("onError", options.onError, "(error, ctx) => void");
  if (options.ack !== undefined && options.ack !== "handled" && options.ack !== "immediate") fail("ack", 'ack must be "handled" or "immediate".');
  if (options.queue !== undefined && typeof options.queue?.enqueue !== "function") {
    fail("queue", "queue must have an enqueue(event, ctx) method (see bullmqQueue in @gemini-webhooks/redis).");
  }
  if (options.dedupeBy !== undefined && options.dedupeBy !== "delivery" && options.dedupeBy !== "event") fail("dedupeBy", 'dedupeBy must be "delivery" or "event".');
  if (options.namespace !== undefined && (typeof options.namespace !== "string" || options.namespace === "")) fail("namespace", "namespace must be a non-empty string.");
  const logger = options.logger;
  if (logger !== undefined && logger !== false && !hasMethods(logger, LOG_METHODS)) {
    fail("logger", "logger must have debug, info, warn and error methods (console, pino, winston, Nest's Logger), or be false to silence it.");
  }
  if (options.crypto !== undefined && !isCryptoProvider(options.crypto)) {
    fail("crypto", "crypto must be a CryptoProvider (nodeCryptoProvider() or webCryptoProvider()).");
  }
  if (options.deadLetters !== undefined && options.deadLetters !== false && !isDeadLetterStore(options.deadLetters)) {
    fail("deadLetters", "deadLetters must be a store with record, remove, get and list (memoryDeadLetters() or redisDeadLetters(client)), or false.");
  }
  if (options.on !== undefined && (options.on === null || typeof options.on !== "object")) fail("on", 'on must be an object of handlers by event type, e.g. { "batch.succeeded": handler }.');
  const idempotency = store(options.idempotency);
  return {
    secret: options.secret,
    publicKey: options.publicKey,
    jwks: options.jwks === undefined ? undefined : resolveJwksOptions(options.jwks),
    toleranceSeconds: numberOption("toleranceSeconds", options.toleranceSeconds, 300, 0),
    now: options.now ?? Date.now,
    store: idempotency,
    leaseMs: idempotency?.leaseMs ?? DEFAULT_LEASE_MS,
    doneTtlMs: idempotency?.doneTtlMs ?? DEFAULT_DONE_TTL_MS,
    namespace: options.namespace ?? "gemini",
    maxBodyBytes: numberOption("maxBodyBytes", options.maxBodyBytes, 1 << 20, 1),
    readTimeoutMs: numberOption("readTimeoutMs", options.readTimeoutMs, 30_000, 1),
    ack: options.ack ?? "handled",
    queue: options.queue,
    logger: resolveLogger(options.logger),
    onError: options.onError,
    hooks: hooks(options.hooks),
    deadLetters: options.deadLetters === false ? undefined : (options.deadLetters ?? memoryDeadLetters()),
    dedupeBy: options.dedupeBy ?? "delivery",
    crypto: options.crypto ?? defaultCryptoProvider(),
  };
}
