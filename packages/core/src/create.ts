import { toBytes } from "./body.js";
import { Dispatcher } from "./dispatcher.js";
import { createDynamicVerifier } from "./dynamic/index.js";
import { GeminiWebhooksConfigError, WebhookVerificationError, type WebhookErrorCode } from "./errors.js";
import type { AnyGeminiEvent, GeminiEventOf, GeminiEventType, GeminiWebhookEvent, UserMetadata } from "./events.js";
import { readWebhookHeaders } from "./headers.js";
import { readLimited } from "./read-limited.js";
import { parseSecrets } from "./secret.js";
import { memoryStore, type ClaimResult, type IdempotencyStore } from "./store.js";
import type {
  ErrorContext,
  GeminiWebhooksOptions,
  HandleResult,
  VerifiedDelivery,
  WebhookContext,
  WebhookHandler,
  WebhookRequest,
} from "./types.js";
import { verifyDelivery, type VerifierState } from "./verify.js";

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" } as const;
const BRAND = Symbol.for("gemini-webhooks.instance");

/** A configured receiver. */
export interface GeminiWebhooks<M = UserMetadata> {
  /** Verifies one delivery and returns its typed event, or throws `WebhookVerificationError`. */
  verify(request: WebhookRequest): Promise<GeminiWebhookEvent<M>>;
  /** Verifies and returns the event with its context (scheme, id, key, claims…). */
  verifyDelivery(request: WebhookRequest): Promise<VerifiedDelivery<M>>;
  /** The whole pipeline: verify → claim → handlers → complete/release → answer. Never throws. */
  handle(request: WebhookRequest): Promise<HandleResult<M>>;
  /** Web-standard: Request → Response (App Router, Hono, Bun, Deno, Workers). */
  fetch(request: Request): Promise<Response>;
  /** Adds a handler; returns a function that removes it. */
  on<T extends GeminiEventType>(type: T, handler: WebhookHandler<GeminiEventOf<T, M>>): () => void;
  on(type: "*", handler: WebhookHandler<AnyGeminiEvent<M>>): () => void;
  /** Runs the handlers registered for an event (used by queue workers). Rejects if any handler threw. */
  dispatch(event: AnyGeminiEvent<M>, ctx: WebhookContext): Promise<number>;
  /** Whether any handler would receive an event of this type. */
  hasHandlers(type: string): boolean;
  readonly store: IdempotencyStore | undefined;
  readonly maxBodyBytes: number;
  /** Builds the JSON answer for an error (adapters use it for errors they find themselves). */
  errorResult(error: WebhookVerificationError): HandleResult<M>;
}

export function isGeminiWebhooks(value: unknown): value is GeminiWebhooks<any> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

function errorResult(error: WebhookVerificationError): HandleResult<any> {
  const headers: Record<string, string> = { ...JSON_HEADERS };
  if (error.code === "method_not_allowed") headers.allow = "POST";
  return { status: error.status, body: error.toJSON(), headers, error };
}

function ok(status: "received" | "ignored" | "duplicate", verified?: VerifiedDelivery<any>): HandleResult<any> {
  return { status: 200, body: { status }, headers: { ...JSON_HEADERS }, ...(verified ? { event: verified.event, ctx: verified.ctx } : {}) };
}

function checkNumber(name: string, v: unknown, min: number): void {
  if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < min)) {
    throw new GeminiWebhooksConfigError(`${name} must be a number ≥ ${min}.`);
  }
}

/** Creates a receiver; validates every option now, so mistakes surface at startup. */
export function createGeminiWebhooks<M = UserMetadata>(options: GeminiWebhooksOptions<M>): GeminiWebhooks<M> {
  if (options === null || typeof options !== "object") throw new GeminiWebhooksConfigError("createGeminiWebhooks needs an options object.");
  if (options.secret === undefined && options.jwks === undefined) {
    throw new GeminiWebhooksConfigError(
      "Give a secret (the \"whsec_…\" signing secret of a static webhook) or jwks (for dynamic webhooks), or both. Is GEMINI_WEBHOOK_SECRET set in this environment?",
    );
  }
  checkNumber("toleranceSeconds", options.toleranceSeconds, 0);
  checkNumber("maxBodyBytes", options.maxBodyBytes, 1);
  if (options.ack !== undefined && options.ack !== "handled" && options.ack !== "immediate") {
    throw new GeminiWebhooksConfigError('ack must be "handled" or "immediate".');
  }
  if (options.queue !== undefined && typeof options.queue?.enqueue !== "function") {
    throw new GeminiWebhooksConfigError("queue must have an enqueue(event, ctx) method (see bullmqQueue in @gemini-webhooks/redis).");
  }
  const now = options.now ?? Date.now;
  const toleranceSeconds = options.toleranceSeconds ?? 300;
  const maxBodyBytes = options.maxBodyBytes ?? 1 << 20;
  const store: IdempotencyStore | undefined =
    options.idempotency === false ? undefined : (options.idempotency ?? memoryStore());
  const state: VerifierState = {
    secrets: parseSecrets(options.secret),
    dynamic: options.jwks ? createDynamicVerifier(options.jwks, { now, toleranceSeconds }) : undefined,
    toleranceSeconds,
    now,
    namespace: options.namespace ?? "gemini",
  };
  const dispatcher = new Dispatcher(options.on);
  const ack = options.ack ?? "handled";
  const queue = options.queue;

  function report(error: unknown, ctx: ErrorContext): void {
    if (!options.onError) return;
    try {
      options.onError(error, ctx);
    } catch {
      /* an onError that throws must not change the answer */
    }
  }

  async function verifyDeliveryFn(request: WebhookRequest): Promise<VerifiedDelivery<M>> {
    if (request === null || typeof request !== "object") {
      throw new WebhookVerificationError("configuration", "verify/handle take { body, headers }.");
    }
    const bytes = toBytes(request.body);
    if (bytes.length > maxBodyBytes) {
      throw new WebhookVerificationError("body_too_large", `The body is ${bytes.length} bytes, over maxBodyBytes (${maxBodyBytes}).`);
    }
    const headers = readWebhookHeaders(request.headers ?? {});
    return (await verifyDelivery(headers, bytes, state)) as VerifiedDelivery<M>;
  }

  /** The store's answer; a synchronous store (memoryStore) costs no extra tick. */
  function claim(key: string): ClaimResult | Promise<ClaimResult> {
    return store ? store.claim(key) : "new";
  }

  function settle(key: string, how: "complete" | "release", verified: VerifiedDelivery<M>): void | Promise<void> {
    if (!store) return;
    const failed = (e: unknown) => report(e, { stage: "complete", webhookId: verified.ctx.webhookId, event: verified.event as AnyGeminiEvent });
    try {
      const r = store[how](key);
      if (r && typeof (r as Promise<void>).then === "function") return (r as Promise<void>).then(undefined, failed);
    } catch (e) {
      failed(e);
    }
  }

  async function handle(request: WebhookRequest): Promise<HandleResult<M>> {
    const method = request?.method;
    if (method !== undefined && method.toUpperCase() !== "POST") {
      return errorResult(new WebhookVerificationError("method_not_allowed", `${method} is not allowed here; Gemini delivers webhooks with POST.`));
    }
    let verified: VerifiedDelivery<M>;
    try {
      verified = await verifyDeliveryFn(request);
    } catch (e) {
      const err = e instanceof WebhookVerificationError ? e : new WebhookVerificationError("configuration", "Unexpected error while verifying the delivery.", { cause: e });
      report(err, { stage: "verify", code: err.code });
      return errorResult(err);
    }
    const { event, ctx } = verified;
    const key = ctx.idempotencyKey;
    const meta = { webhookId: ctx.webhookId, event: event as AnyGeminiEvent };

    let claimed: ClaimResult;
    try {
      const c = claim(key);
      claimed = typeof c === "string" ? c : await c;
    } catch (e) {
      report(e, { stage: "store", ...meta, code: "store_unavailable" });
      return errorResult(new WebhookVerificationError("store_unavailable", "The idempotency store is unreachable; the delivery was not processed and will be retried.", { cause: e }));
    }
    if (claimed === "done") return ok("duplicate", verified);
    if (claimed === "in_progress") {
      return { ...errorResult(new WebhookVerificationError("in_progress", `Delivery ${ctx.webhookId} is being processed right now; retry later.`)), event, ctx };
    }

    if (queue) {
      try {
        await queue.enqueue(event as AnyGeminiEvent, ctx);
      } catch (e) {
        await settle(key, "release", verified);
        report(e, { stage: "queue", ...meta, code: "store_unavailable" });
        return errorResult(new WebhookVerificationError("store_unavailable", "The queue is unreachable; the delivery was not accepted and will be retried.", { cause: e }));
      }
      await settle(key, "complete", verified);
      return ok("received", verified);
    }

    const list = dispatcher.handlersFor(event.type);
    if (list.length === 0) {
      const s = settle(key, "complete", verified);
      if (s) await s;
      return ok("ignored", verified);
    }

    if (ack === "immediate") {
      void dispatcher.dispatch(event as AnyGeminiEvent, ctx, list).then(
        () => settle(key, "complete", verified),
        async (e) => {
          report(e, { stage: "handler", ...meta, code: "handler_failed" });
          await settle(key, "release", verified);
        },
      );
      return ok("received", verified);
    }

    try {
      await dispatcher.dispatch(event as AnyGeminiEvent, ctx, list);
    } catch (e) {
      await settle(key, "release", verified);
      report(e, { stage: "handler", ...meta, code: "handler_failed" });
      return {
        ...errorResult(new WebhookVerificationError("handler_failed", `A handler for ${event.type} failed; the delivery was not marked processed, so Gemini's retry will run it again.`, { cause: e })),
        event,
        ctx,
      };
    }
    const s = settle(key, "complete", verified);
    if (s) await s;
    return ok("received", verified);
  }

  async function fetchFn(request: Request): Promise<Response> {
    let result: HandleResult<M>;
    if (request.method.toUpperCase() !== "POST") {
      result = await handle({ method: request.method, body: "", headers: request.headers });
    } else {
      let body: Uint8Array;
      try {
        body = await readLimited(request, maxBodyBytes);
      } catch (e) {
        const err = e instanceof WebhookVerificationError ? e : new WebhookVerificationError("configuration", "The request body could not be read.", { cause: e });
        report(err, { stage: "verify", code: err.code });
        return toResponse(errorResult(err));
      }
      result = await handle({ method: "POST", body, headers: request.headers });
    }
    return toResponse(result);
  }

  const instance: GeminiWebhooks<M> & { [BRAND]: true } = {
    [BRAND]: true,
    verify: async (request) => (await verifyDeliveryFn(request)).event,
    verifyDelivery: verifyDeliveryFn,
    handle,
    fetch: fetchFn,
    on: ((type: string, handler: WebhookHandler<any>) => dispatcher.add(type, handler)) as GeminiWebhooks<M>["on"],
    dispatch: (event, ctx) => dispatcher.dispatch(event as AnyGeminiEvent, ctx),
    hasHandlers: (type) => dispatcher.handlersFor(type).length > 0,
    store,
    maxBodyBytes,
    errorResult: errorResult as (e: WebhookVerificationError) => HandleResult<M>,
  };
  return instance;
}

/** A web-standard Response for a handle() result. */
export function toResponse(result: HandleResult<any>): Response {
  return new Response(JSON.stringify(result.body), { status: result.status, headers: result.headers });
}

/** Adapters accept options or a ready instance. */
export function resolveWebhooks<M = UserMetadata>(optionsOrInstance: GeminiWebhooksOptions<M> | GeminiWebhooks<M>): GeminiWebhooks<M> {
  return isGeminiWebhooks(optionsOrInstance) ? (optionsOrInstance as GeminiWebhooks<M>) : createGeminiWebhooks(optionsOrInstance as GeminiWebhooksOptions<M>);
}

/** Builds the error answer for a code found outside core (an adapter's body-size or parser check). */
export function errorResponse(code: WebhookErrorCode, message: string): HandleResult<any> {
  return errorResult(new WebhookVerificationError(code, message));
}
