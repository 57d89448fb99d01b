import { errorResult, ok } from "./answers.js";
import { toBytes, checkEnvelope } from "./body.js";
import { Claim, claimedDelivery, type ClaimDeps, type ClaimedDelivery } from "./claimed.js";
import type { Dispatcher } from "./dispatcher.js";
import { WebhookVerificationError } from "./errors.js";
import type { AnyGeminiEvent, GeminiWebhookEvent, UserMetadata } from "./events.js";
import { readWebhookHeaders } from "./headers.js";
import type { Observation } from "./hooks.js";
import { isThenable, type MaybePromise } from "./maybe.js";
import type { ResolvedOptions } from "./options.js";
import type { ClaimResult, IdempotencyStore } from "./store.js";
import type { HandleResult, ProcessContext, VerifiedDelivery, WebhookRequest } from "./types.js";
import { verifyDelivery, type VerifierState } from "./verify.js";

/** What `begin()` gives: an answer to send now, or a claimed delivery to run. */
export type Begun<M = UserMetadata> = { answer: HandleResult<M>; delivery?: undefined } | { answer?: undefined; delivery: ClaimedDelivery<M> };

/** The same, inside the pipeline: an answer, or the claim itself. */
type Claimed<M> = { answer: HandleResult<M>; claim?: undefined } | { answer?: undefined; claim: Claim<M> };

export interface PipelineDeps extends ClaimDeps {
  options: ResolvedOptions;
  verifier: VerifierState;
  dispatcher: Dispatcher;
  observe: () => Observation;
}

/**
 * The job an event is about (`data.id`, else the video's `file_id` / `file_name`), for `dedupeBy: "event"`.
 * A resource-name prefix (`batches/…`, as the SDK names jobs) is dropped, so `batches/b1` and `b1` are one job.
 */
function jobIdOf(event: AnyGeminiEvent): string | undefined {
  const data = event.data as Record<string, unknown>;
  for (const field of ["id", "file_id", "file_name"]) {
    const v = data[field];
    if (typeof v === "string" && v !== "") return v.replace(/^(batches|interactions|operations|files|models\/[^/]+\/operations)\//, "");
  }
  return undefined;
}

/**
 * The pipeline: verify → claim → run handlers → complete (or release) → answer. Every outcome goes to the
 * delivery's observers (hooks) once; nothing here throws to the caller.
 */
export function createPipeline<M>(deps: PipelineDeps) {
  const { options, verifier, dispatcher, reporter, store } = deps;

  /** Under `dedupeBy: "event"` the key is the job outcome's, shared by every way it can arrive. */
  function keyed(verified: VerifiedDelivery<M>): VerifiedDelivery<M> {
    if (options.dedupeBy !== "event") return verified;
    const job = jobIdOf(verified.event as AnyGeminiEvent);
    if (job !== undefined) verified.ctx.idempotencyKey = `${options.namespace}:event:${verified.event.type}:${job}`;
    return verified;
  }

  /**
   * The checks and the verification: a value, a throw, or (JWT, v1a, Web Crypto) a promise. `nodeHeaders`:
   * the headers are node:http's (names lower-cased, repeats joined), so the three are read directly.
   */
  function verifyNow(request: WebhookRequest, nodeHeaders = false): MaybePromise<VerifiedDelivery<M>> {
    if (request === null || typeof request !== "object") {
      throw new WebhookVerificationError("configuration", "verify/handle take { body, headers }.");
    }
    const bytes = toBytes(request.body);
    if (bytes.length > options.maxBodyBytes) {
      throw new WebhookVerificationError("body_too_large", `The body is ${bytes.length} bytes, over maxBodyBytes (${options.maxBodyBytes}).`);
    }
    const headers = readWebhookHeaders(request.headers ?? {}, nodeHeaders);
    return verifyDelivery(headers, bytes, verifier) as MaybePromise<VerifiedDelivery<M>>;
  }

  function verifyRequest(request: WebhookRequest): Promise<VerifiedDelivery<M>> {
    try {
      return Promise.resolve(verifyNow(request));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  const eventOf = (v: VerifiedDelivery<M>) => v.event;

  /** verify(): the event only, one promise (none in between when the verification was synchronous). */
  function verifyEvent(request: WebhookRequest): Promise<GeminiWebhookEvent<M>> {
    try {
      const v = verifyNow(request);
      return isThenable<VerifiedDelivery<M>>(v) ? Promise.resolve(v).then(eventOf) : Promise.resolve(v.event);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** An error answer, reported (logged at its level, onError) and observed. */
  function reject(error: unknown, obs: Observation): HandleResult<M> {
    const err = error instanceof WebhookVerificationError ? error : new WebhookVerificationError("configuration", "Unexpected error while verifying the delivery.", { cause: error });
    reporter.report(err, { stage: "verify", code: err.code });
    return obs.end(errorResult(err));
  }

  /** The store could not be asked: 503, the delivery not processed. */
  function storeDown(verified: VerifiedDelivery<M>, e: unknown, obs: Observation): Claimed<M> {
    const { event, ctx } = verified;
    reporter.report(e, { stage: "store", webhookId: ctx.webhookId, event: event as AnyGeminiEvent, code: "store_unavailable" });
    const err = new WebhookVerificationError("store_unavailable", "The idempotency store is unreachable; the delivery was not processed and will be retried.", { cause: e });
    return { answer: obs.end({ ...errorResult(err), event, ctx }) };
  }

  /** The store's answer to a claim: duplicate, in progress, or a claim to run. */
  function claimed(verified: VerifiedDelivery<M>, result: ClaimResult, obs: Observation): Claimed<M> {
    const { event, ctx } = verified;
    if (result === "done") return { answer: obs.end(ok("duplicate", verified)) };
    if (result === "in_progress") {
      const err = new WebhookVerificationError("in_progress", `Delivery ${ctx.webhookId} is being processed right now; retry later.`);
      return { answer: obs.end({ ...errorResult(err), event, ctx }) };
    }
    return { claim: new Claim(verified, deps, obs) };
  }

  /** claim → the answer (duplicate, in progress, store down) or a claim to run. Synchronous with a synchronous store. */
  function claim(verified: VerifiedDelivery<M>, obs: Observation): MaybePromise<Claimed<M>> {
    obs.verified(verified.event as AnyGeminiEvent, verified.ctx);
    let c: ClaimResult | Promise<ClaimResult>;
    try {
      c = store ? store.claim(verified.ctx.idempotencyKey) : "new";
    } catch (e) {
      return storeDown(verified, e, obs);
    }
    if (isThenable<ClaimResult>(c)) {
      return (c as Promise<ClaimResult>).then(
        (r) => claimed(verified, r, obs),
        (e: unknown) => storeDown(verified, e, obs),
      );
    }
    return claimed(verified, c, obs);
  }

  /** verify → claim, as a value whenever every step was synchronous. Never throws. */
  function start(request: WebhookRequest, obs: Observation, nodeHeaders = false): MaybePromise<Claimed<M>> {
    const method = request?.method;
    if (method !== undefined && method !== "POST" && method.toUpperCase() !== "POST") {
      return { answer: reject(new WebhookVerificationError("method_not_allowed", `${method} is not allowed here; Gemini delivers webhooks with POST.`), obs) };
    }
    let verified: MaybePromise<VerifiedDelivery<M>>;
    try {
      verified = verifyNow(request, nodeHeaders);
      if (!isThenable(verified)) verified = keyed(verified);
    } catch (e) {
      return { answer: reject(e, obs) };
    }
    if (isThenable<VerifiedDelivery<M>>(verified)) {
      return (verified as Promise<VerifiedDelivery<M>>).then(keyed).then(
        (v) => claim(v, obs),
        (e: unknown) => ({ answer: reject(e, obs) }),
      );
    }
    return claim(verified, obs);
  }

  const begun = (c: Claimed<M>): Begun<M> => (c.answer ? { answer: c.answer } : { delivery: claimedDelivery(c.claim) });

  async function begin(request: WebhookRequest, obs: Observation = deps.observe()): Promise<Begun<M>> {
    const c = start(request, obs);
    return isThenable<Claimed<M>>(c) ? (c as Promise<Claimed<M>>).then(begun) : begun(c);
  }

  /** Runs a claimed delivery: enqueue (durable mode) or the handlers, then settles it. */
  function run(claim: Claim<M>, obs: Observation): MaybePromise<HandleResult<M>> {
    const { event, ctx } = claim.verified;
    if (options.queue) {
      const unreachable = (e: unknown) => {
        const answer = new WebhookVerificationError("store_unavailable", "The queue is unreachable; the delivery was not accepted and will be retried.", { cause: e });
        return claim.fail(e, { stage: "queue", answer });
      };
      let queued: unknown;
      try {
        queued = options.queue.enqueue(event as AnyGeminiEvent, ctx);
      } catch (e) {
        return unreachable(e);
      }
      claim.hold();
      return Promise.resolve(queued).then(() => claim.complete(), unreachable);
    }
    const list = dispatcher.handlersFor(event.type);
    if (list.length === 0) return claim.complete("ignored");
    if (store?.runInUnit) return runInUnit(store.runInUnit.bind(store), claim, list, obs);
    if (options.ack === "immediate") {
      claim.hold();
      void dispatcher.dispatch(event as AnyGeminiEvent, ctx, list, obs).then(
        () => claim.complete(),
        (e) => claim.fail(e),
      );
      return ok("received", claim.verified);
    }
    if (list.length === 1 && !obs.wraps) {
      // one handler, no wrapping hook: call it here; a synchronous handler settles without a microtask
      let r: unknown;
      try {
        r = list[0]!(event, ctx);
      } catch (e) {
        return claim.fail(e);
      }
      if (isThenable(r)) {
        claim.hold();
        return Promise.resolve(r).then(
          () => claim.complete(),
          (e: unknown) => claim.fail(e),
        );
      }
      return claim.complete();
    }
    claim.hold();
    return dispatcher.dispatch(event as AnyGeminiEvent, ctx, list, obs).then(
      () => claim.complete(),
      (e: unknown) => claim.fail(e),
    );
  }

  /**
   * The handlers inside the store's unit of work (a transaction): the id is marked done in the same unit, so
   * the handlers' writes and the mark commit together or not at all.
   */
  function runInUnit(unit: NonNullable<IdempotencyStore["runInUnit"]>, claim: Claim<M>, list: ReturnType<Dispatcher["handlersFor"]>, obs: Observation): MaybePromise<HandleResult<M>> {
    const { event, ctx } = claim.verified;
    claim.hold();
    let ran: Promise<void>;
    try {
      ran = unit(ctx.idempotencyKey, async (extra) => {
        await dispatcher.dispatch(event as AnyGeminiEvent, extra && typeof extra === "object" ? { ...ctx, ...extra } : ctx, list, obs);
      });
    } catch (e) {
      ran = Promise.reject(e);
    }
    const settled = Promise.resolve(ran).then(
      () => claim.complete("received", true),
      (e: unknown) =>
        e instanceof WebhookVerificationError && e.code === "store_unavailable" ? claim.fail(e.cause ?? e, { stage: "store", answer: e }) : claim.fail(e),
    );
    if (options.ack === "immediate") {
      void settled;
      return ok("received", claim.verified);
    }
    return settled;
  }

  /** start → run, as a value whenever every step was synchronous (adapters use it; handle() wraps it). */
  function handleNow(request: WebhookRequest, nodeHeaders = false): MaybePromise<HandleResult<M>> {
    const obs = deps.observe();
    const c = start(request, obs, nodeHeaders);
    if (isThenable<Claimed<M>>(c)) return (c as Promise<Claimed<M>>).then((x) => x.answer ?? run(x.claim, obs));
    return c.answer ?? run(c.claim, obs);
  }

  async function handle(request: WebhookRequest): Promise<HandleResult<M>> {
    return handleNow(request);
  }

  /** claim → handlers → settle for an event that did not come over HTTP (reconciliation, replay). */
  async function process(event: AnyGeminiEvent<M>, pctx: ProcessContext, key?: string): Promise<HandleResult<M>> {
    const obs = deps.observe();
    let checked: GeminiWebhookEvent<M>;
    try {
      if (pctx === null || typeof pctx !== "object" || typeof pctx.webhookId !== "string" || pctx.webhookId === "" || typeof pctx.scheme !== "string") {
        throw new WebhookVerificationError("configuration", 'process(event, ctx) needs ctx = { webhookId, scheme } (e.g. scheme "reconcile").');
      }
      checked = checkEnvelope(event) as unknown as GeminiWebhookEvent<M>;
    } catch (e) {
      return reject(e, obs);
    }
    const verified = keyed({
      event: checked,
      ctx: {
        webhookId: pctx.webhookId,
        timestamp: pctx.timestamp ?? new Date(options.now()),
        scheme: pctx.scheme,
        rawBody: new Uint8Array(0),
        idempotencyKey: `${options.namespace}:${pctx.scheme}:${pctx.webhookId}`,
      },
    });
    if (key !== undefined) verified.ctx.idempotencyKey = key;
    const c = await claim(verified, obs);
    return c.answer ?? run(c.claim, obs);
  }

  return { verifyRequest, verifyEvent, begin, handle, handleNow, process, reject };
}

export type Pipeline<M> = ReturnType<typeof createPipeline<M>>;
