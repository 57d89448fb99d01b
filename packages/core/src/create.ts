import { errorResult, toResponse } from "./answers.js";
import { HANDLE_NOW, receive } from "./receive.js";
import { Dispatcher } from "./dispatcher.js";
import { createDynamicVerifier } from "./dynamic/index.js";
import type { WebhookVerificationError } from "./errors.js";
import type { AnyGeminiEvent, GeminiEventOf, GeminiEventType, GeminiWebhookEvent, UserMetadata } from "./events.js";
import { createDeadLetterDesk, type DeadLetterDesk } from "./dead-letter-desk.js";
import { createObservers } from "./hooks.js";
import { LeaseKeeper } from "./leases.js";
import { createReporter } from "./logging.js";
import { resolveOptions } from "./options.js";
import { createPipeline, type Begun } from "./pipeline.js";
import { readLimited } from "./read-limited.js";
import { parseSecrets } from "./secret.js";
import type { IdempotencyStore } from "./store.js";
import type {
  GeminiWebhooksOptions,
  HandlerMap,
  HandleResult,
  ProcessContext,
  VerifiedDelivery,
  WebhookContext,
  WebhookHandler,
  WebhookLogger,
  WebhookRequest,
} from "./types.js";

export type { ClaimedDelivery } from "./claimed.js";
export type { Begun } from "./pipeline.js";

const BRAND = Symbol.for("gemini-webhooks.instance");

/** A configured receiver. */
export interface GeminiWebhooks<M = UserMetadata, X extends object = {}> {
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
  /**
   * claim → handlers → settle for an event that did not come over HTTP (a reconciliation, a replay); with
   * `dedupeBy: "event"` it shares the job outcome's key with webhook deliveries. Never throws.
   */
  process(event: AnyGeminiEvent<M>, ctx: ProcessContext): Promise<HandleResult<M>>;
  /** Adds a handler; returns a function that removes it. */
  on<T extends GeminiEventType>(type: T, handler: WebhookHandler<GeminiEventOf<T, M>, X>): () => void;
  on(type: "*", handler: WebhookHandler<AnyGeminiEvent<M>, X>): () => void;
  /** Runs the handlers registered for an event (used by queue workers). Rejects if any handler threw. */
  dispatch(event: AnyGeminiEvent<M>, ctx: WebhookContext & X): Promise<number>;
  /** Whether any handler would receive an event of this type. */
  hasHandlers(type: string): boolean;
  /** Failed deliveries: list, inspect, replay (same claim rules), delete. */
  readonly deadLetters: DeadLetterDesk<M>;
  readonly store: IdempotencyStore<X> | undefined;
  readonly maxBodyBytes: number;
  readonly readTimeoutMs: number;
  /** What the idempotency key is: the delivery's signed id, or the job outcome's (event type + job id). */
  readonly dedupeBy: "delivery" | "event";
  /** The receiver's logger (never throws). */
  readonly logger: WebhookLogger;
  /** The answer for an error an adapter found itself (reported and observed like core's own). */
  reject(error: unknown): HandleResult<M>;
  /** The JSON answer for an error, without reporting it. */
  errorResult(error: WebhookVerificationError): HandleResult<M>;
}

export function isGeminiWebhooks(value: unknown): value is GeminiWebhooks<any> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Creates a receiver; validates every option now, so mistakes surface at startup. */
export function createGeminiWebhooks<M = UserMetadata, X extends object = {}>(options: GeminiWebhooksOptions<M, X>): GeminiWebhooks<M, X> {
  const o = resolveOptions(options as GeminiWebhooksOptions<any, any>);
  const reporter = createReporter(o.logger, o.onError);
  const dispatcher = new Dispatcher(options.on as HandlerMap<any, any> | undefined);
  const verifier = {
    secrets: parseSecrets(o.secret, o.crypto),
    dynamic: o.jwks ? createDynamicVerifier(o.jwks, { now: o.now, toleranceSeconds: o.toleranceSeconds, crypto: o.crypto, doneTtlMs: o.doneTtlMs }) : undefined,
    toleranceSeconds: o.toleranceSeconds,
    now: o.now,
    namespace: o.namespace,
  };
  const pipeline = createPipeline<M>({
    options: o,
    verifier,
    dispatcher,
    reporter,
    observe: createObservers(o.hooks, reporter, o.now),
    store: o.store,
    leases: new LeaseKeeper(o.store, o.leaseMs, reporter),
    deadLetters: o.deadLetters,
    now: o.now,
  });

  const instance: GeminiWebhooks<M, X> & { [BRAND]: true; [HANDLE_NOW]: typeof pipeline.handleNow & { handle: unknown } } = {
    [BRAND]: true,
    [HANDLE_NOW]: Object.assign((request: WebhookRequest, nodeHeaders?: boolean) => pipeline.handleNow(request, nodeHeaders), { handle: pipeline.handle }),
    verify: pipeline.verifyEvent,
    verifyDelivery: pipeline.verifyRequest,
    begin: (request) => pipeline.begin(request),
    handle: pipeline.handle,
    fetch: async (request) =>
      toResponse(
        await receive(instance, {
          method: request.method,
          headers: request.headers,
          body: () => readLimited(request, o.maxBodyBytes, o.readTimeoutMs),
        }),
      ),
    process: (event, ctx) => pipeline.process(event, ctx),
    on: ((type: string, handler: WebhookHandler<any>) => dispatcher.add(type, handler)) as GeminiWebhooks<M, X>["on"],
    dispatch: (event, ctx) => dispatcher.dispatch(event as AnyGeminiEvent, ctx),
    hasHandlers: (type) => dispatcher.handlersFor(type).length > 0,
    deadLetters: createDeadLetterDesk<M>(o.deadLetters, pipeline.process),
    store: o.store as IdempotencyStore<X> | undefined,
    maxBodyBytes: o.maxBodyBytes,
    readTimeoutMs: o.readTimeoutMs,
    dedupeBy: o.dedupeBy,
    logger: o.logger,
    reject: (error) => pipeline.reject(error, createObservers(o.hooks, reporter, o.now)()),
    errorResult: errorResult as (e: WebhookVerificationError) => HandleResult<M>,
  };
  return instance;
}

/** Adapters accept options or a ready instance. */
export function resolveWebhooks<M = UserMetadata, X extends object = {}>(optionsOrInstance: GeminiWebhooksOptions<M, X> | GeminiWebhooks<M, X>): GeminiWebhooks<M, X> {
  return isGeminiWebhooks(optionsOrInstance) ? (optionsOrInstance as GeminiWebhooks<M, X>) : createGeminiWebhooks(optionsOrInstance as GeminiWebhooksOptions<M, X>);
}
