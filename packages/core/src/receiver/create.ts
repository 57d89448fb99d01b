import { receive } from "../adapter/receive.js";
import { toResponse } from "../adapter/answers.js";
import { readLimited } from "../adapter/web-reader.js";
import type { AnyGeminiEvent, GeminiEventOf, GeminiEventType, GeminiWebhookEvent, UserMetadata } from "../events.js";
import { createReporter } from "../logging.js";
import { createDeadLetterDesk, type DeadLetterDesk } from "../pipeline/dead-letter-desk.js";
import { Dispatcher } from "../pipeline/dispatcher.js";
import { createObservers } from "../pipeline/hooks.js";
import { LeaseKeeper } from "../pipeline/leases.js";
import { createPipeline, type Begun } from "../pipeline/pipeline.js";
import type { DynamicVerifier } from "../verify/dynamic.js";
import { parsePublicKeys } from "../verify/public-keys.js";
import { parseSecrets } from "../verify/secret.js";
import { BRAND, INTERNALS, isGeminiWebhooks as isReceiver, type ReceiverInternals } from "./internals.js";
import { resolveOptions } from "./options.js";
import type {
  GeminiWebhooksOptions,
  HandleResult,
  HandlerMap,
  ProcessContext,
  VerifiedDelivery,
  WebhookContext,
  WebhookHandler,
  WebhookLogger,
  WebhookRequest,
} from "./types.js";

/** A configured receiver: what users call. Adapter plumbing is on `@gemini-webhooks/core/adapter`. */
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
}

export function isGeminiWebhooks(value: unknown): value is GeminiWebhooks<any, any> {
  return isReceiver(value);
}

/** Creates a receiver; validates every option now, so mistakes surface at startup. */
export function createGeminiWebhooks<M = UserMetadata, X extends object = {}>(options: GeminiWebhooksOptions<M, X>): GeminiWebhooks<M, X> {
  const o = resolveOptions(options as GeminiWebhooksOptions<any, any>);
  const reporter = createReporter(o.logger, o.onError);
  const dispatcher = new Dispatcher(options.on as HandlerMap<any, any> | undefined);
  const secrets = parseSecrets(o.secret, o.crypto);
  const publicKeys = parsePublicKeys(o.publicKey, o.crypto);
  const jwks = o.jwks;
  // jose and the JWKS machinery load on the first dynamic delivery: a v1-only receiver never loads them
  let dynamic: Promise<DynamicVerifier> | undefined;
  const loadDynamic = jwks
    ? () =>
        (dynamic ??= import("../verify/dynamic.js").then((m) =>
          m.createDynamicVerifier(jwks, { now: o.now, toleranceSeconds: o.toleranceSeconds, crypto: o.crypto, doneTtlMs: o.doneTtlMs }),
        ))
    : undefined;
  const observe = createObservers(o.hooks, reporter, o.now);
  const pipeline = createPipeline<M>({
    options: o,
    verifier: { secrets, publicKeys, dynamic: loadDynamic, toleranceSeconds: o.toleranceSeconds, now: o.now, namespace: o.namespace },
    dispatcher,
    reporter,
    observe,
    store: o.store,
    leases: new LeaseKeeper(o.store, o.leaseMs, reporter),
    deadLetters: o.deadLetters,
    now: o.now,
  });
  const internals: ReceiverInternals = { options: o, logger: o.logger, reject: pipeline.reject };

  const instance: GeminiWebhooks<M, X> & { [BRAND]: true; [INTERNALS]: ReceiverInternals } = {
    [BRAND]: true,
    [INTERNALS]: internals,
    verify: pipeline.verifyEvent,
    verifyDelivery: pipeline.verify,
    begin: pipeline.begin,
    handle: pipeline.handle,
    fetch: async (request) =>
      toResponse(await receive(instance, { method: request.method, headers: request.headers, body: () => readLimited(request, o.maxBodyBytes, o.readTimeoutMs) })),
    process: (event, ctx) => pipeline.process(event, ctx),
    on: ((type: string, handler: WebhookHandler<any, any>) => dispatcher.add(type, handler)) as GeminiWebhooks<M, X>["on"],
    dispatch: (event, ctx) => dispatcher.dispatch(event as AnyGeminiEvent, ctx),
    hasHandlers: (type) => dispatcher.handlersFor(type).length > 0,
    deadLetters: createDeadLetterDesk<M>(o.deadLetters, pipeline.process),
  };
  return instance;
}

/** Adapters accept options or a ready instance. */
export function resolveWebhooks<M = UserMetadata, X extends object = {}>(optionsOrInstance: GeminiWebhooksOptions<M, X> | GeminiWebhooks<M, X>): GeminiWebhooks<M, X> {
  return isGeminiWebhooks(optionsOrInstance) ? (optionsOrInstance as GeminiWebhooks<M, X>) : createGeminiWebhooks(optionsOrInstance as GeminiWebhooksOptions<M, X>);
}
