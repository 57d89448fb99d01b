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

/** A verified delivery whose id is claimed: settle it exactly once. */
export interface ClaimedDelivery<M = UserMetadata> extends VerifiedDelivery<M> {
  /** Marks the id processed and returns the 200 answer (`received`, or `ignored`). */
  complete(status?: "received" | "ignored"): Promise<HandleResult<M>>;
  /**
   * Releases the claim (so Gemini's retry can succeed), reports the error to `onError`, and returns the
   * answer: 500 `handler_failed` unless another is given.
   */
  fail(error: unknown, options?: { stage?: "handler" | "queue"; answer?: WebhookVerificationError }): Promise<HandleResult<M>>;
}

/** What `begin()` gives: an answer to send now, or a claimed delivery to run. */
export type Begun<M = UserMetadata> = { answer: HandleResult<M>; delivery?: undefined } | { answer?: undefined; delivery: ClaimedDelivery<M> };

/** A configured receiver. */
export interface GeminiWebhooks<M = UserMetadata> {
  /** Verifies one delivery and returns its typed event, or throws `WebhookVerificationError`. */
  verify(request: WebhookRequest): Promise<GeminiWebhookEvent<M>>;
  /** Verifies and returns the event with its context (scheme, id, key, claims…). */
  verifyDelivery(request: WebhookRequest): Promise<VerifiedDelivery<M>>;
  /**
   * The first half of the pipeline, for integrations that run the handler themselves (e.g. a NestJS route):
   * verify → claim. Gives either the answer to send (rejected, duplicate, in progress, store down) or a
   * claimed delivery whose `complete()` / `fail(error)` settles the claim once and returns the answer.
   */
  begin(request: WebhookRequest): Promise<Begun<M>>;
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

  /** A verified, claimed delivery whose outcome is settled exactly once. */
  function claimedDelivery(verified: VerifiedDelivery<M>): ClaimedDelivery<M> {
    const { event, ctx } = verified;
    const key = ctx.idempotencyKey;
    let settled = false;
    return {
      event,
      ctx,
      async complete(status = "received") {
        if (!settled) {
          settled = true;
          const s = settle(key, "complete", verified);
          if (s) await s;
        }
        return ok(status, verified);
      },
      async fail(error, options = {}) {
        const answer =
          options.answer ??
          new WebhookVerificationError("handler_failed", `A handler for ${event.type} failed; the delivery was not marked processed, so Gemini's retry will run it again.`, { cause: error });
        if (!settled) {
          settled = true;
          const s = settle(key, "release", verified);
          if (s) await s;
        }
        report(error, { stage: options.stage ?? "handler", webhookId: ctx.webhookId, event: event as AnyGeminiEvent, code: answer.code });
        return { ...errorResult(answer), event, ctx };
      },
    };
  }

  /** verify → claim: either the answer (rejected, duplicate, in progress, store down) or a claimed delivery. */
  async function begin(request: WebhookRequest): Promise<Begun<M>> {
    const method = request?.method;
    if (method !== undefined && method.toUpperCase() !== "POST") {
      return { answer: errorResult(new WebhookVerificationError("method_not_allowed", `${method} is not allowed here; Gemini delivers webhooks with POST.`)) };
    }
    let verified: VerifiedDelivery<M>;
    try {
      verified = await verifyDeliveryFn(request);
    } catch (e) {
      const err = e instanceof WebhookVerificationError ? e : new WebhookVerificationError("configuration", "Unexpected error while verifying the delivery.", { cause: e });
      report(err, { stage: "verify", code: err.code });
      return { answer: errorResult(err) };
    }
    const { event, ctx } = verified;
    let claimed: ClaimResult;
    try {
      const c = claim(ctx.idempotencyKey);
      claimed = typeof c === "string" ? c : await c;
    } catch (e) {
      report(e, { stage: "store", webhookId: ctx.webhookId, event: event as AnyGeminiEvent, code: "store_unavailable" });
      return { answer: errorResult(new WebhookVerificationError("store_unavailable", "The idempotency store is unreachable; the delivery was not processed and will be retried.", { cause: e })) };
    }
    if (claimed === "done") return { answer: ok("duplicate", verified) };
    if (claimed === "in_progress") {
      return { answer: { ...errorResult(new WebhookVerificationError("in_progress", `Delivery ${ctx.webhookId} is being processed right now; retry later.`)), event, ctx } };
    }
    return { delivery: claimedDelivery(verified) };
  }

  async function handle(request: WebhookRequest): Promise<HandleResult<M>> {
    const begun = await begin(request);
    if (begun.answer) return begun.answer;
    const delivery = begun.delivery;
    const { event, ctx } = delivery;

    if (queue) {
      try {
        await queue.enqueue(event as AnyGeminiEvent, ctx);
      } catch (e) {
        const answer = new WebhookVerificationError("store_unavailable", "The queue is unreachable; the delivery was not accepted and will be retried.", { cause: e });
        return delivery.fail(e, { stage: "queue", answer });
      }
      return delivery.complete();
    }

    const list = dispatcher.handlersFor(event.type);
    if (list.length === 0) return delivery.complete("ignored");

    if (ack === "immediate") {
      void dispatcher.dispatch(event as AnyGeminiEvent, ctx, list).then(
        () => delivery.complete(),
        (e) => delivery.fail(e),
      );
      return ok("received", delivery);
    }

    try {
      await dispatcher.dispatch(event as AnyGeminiEvent, ctx, list);
    } catch (e) {
      return delivery.fail(e);
    }
    return delivery.complete();
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
    begin,
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
