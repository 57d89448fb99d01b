import { errorResult, ok } from "../adapter/answers.js";
import { WebhookVerificationError } from "../errors.js";
import type { AnyGeminiEvent, GeminiWebhookEvent, UserMetadata } from "../events.js";
import { isPost } from "../lib/http.js";
import type { ResolvedOptions } from "../receiver/options.js";
import type { HandleResult, ProcessContext, VerifiedDelivery, WebhookRequest } from "../receiver/types.js";
import { toBytes, checkEnvelope } from "../verify/envelope.js";
import { readWebhookHeaders, type WebhookHeaders } from "../verify/headers.js";
import { verifyDelivery, type VerifierState } from "../verify/delivery.js";
import { Claim, claimedDelivery, type ClaimDeps, type ClaimedDelivery } from "./claim.js";
import type { ClaimResult } from "../stores/contracts.js";
import type { Dispatcher } from "./dispatcher.js";
import { createFastPath } from "./fast-path.js";
import type { Observation } from "./hooks.js";
import { eventKey, jobIdOf, processKey } from "./keys.js";

/** What `begin()` gives: an answer to send now, or a claimed delivery to run. */
export type Begun<M = UserMetadata> = { answer: HandleResult<M>; delivery?: undefined } | { answer?: undefined; delivery: ClaimedDelivery<M> };

/** The same, inside the pipeline: an answer, or the claim itself. */
export type Claimed<M> = { answer: HandleResult<M>; claim?: undefined } | { answer?: undefined; claim: Claim<M> };

export interface PipelineDeps extends ClaimDeps {
  options: ResolvedOptions;
  verifier: VerifierState;
  dispatcher: Dispatcher;
  observe: () => Observation;
}

/**
 * The pipeline, one async path: method → verify → claim → run (handlers, a queue, or the store's unit of
 * work) → settle → answer. Every outcome goes to the delivery's observers (hooks) once; nothing here throws
 * to the caller but `verify`.
 */
export function createPipeline<M>(deps: PipelineDeps) {
  const { options, verifier, dispatcher, reporter, store } = deps;

  /** Under `dedupeBy: "event"` the key is the job outcome's, shared by every way it can arrive. */
  function keyed(verified: VerifiedDelivery<M>): VerifiedDelivery<M> {
    if (options.dedupeBy !== "event") return verified;
    const job = jobIdOf(verified.event);
    if (job !== undefined) verified.ctx.idempotencyKey = eventKey(options.namespace, verified.event.type, job);
    return verified;
  }

  /** The request's headers and body, checked (shape, size): a WebhookVerificationError otherwise. */
  function readRequest(request: WebhookRequest): { headers: WebhookHeaders; bytes: Uint8Array } {
    if (request === null || typeof request !== "object") {
      throw new WebhookVerificationError("configuration", "verify/handle take { body, headers }.");
    }
    const bytes = toBytes(request.body);
    if (bytes.length > options.maxBodyBytes) {
      throw new WebhookVerificationError("body_too_large", `The body is ${bytes.length} bytes, over maxBodyBytes (${options.maxBodyBytes}).`);
    }
    return { headers: readWebhookHeaders(request.headers ?? {}), bytes };
  }

  /** The checks and the verification of one request: the verified delivery, or a WebhookVerificationError. */
  function verify(request: WebhookRequest): Promise<VerifiedDelivery<M>> {
    try {
      const verified = fast?.verify(request);
      if (verified !== undefined) return Promise.resolve(verified);
    } catch (e) {
      return Promise.reject(e);
    }
    return verifyOnPipeline(request);
  }

  async function verifyOnPipeline(request: WebhookRequest): Promise<VerifiedDelivery<M>> {
    const { headers, bytes } = readRequest(request);
    return (await verifyDelivery(headers, bytes, verifier)) as VerifiedDelivery<M>;
  }

  /** An error answer, reported (logged at its level, onError) and observed. */
  function reject(error: unknown, obs: Observation): HandleResult<M> {
    const err = error instanceof WebhookVerificationError ? error : new WebhookVerificationError("configuration", "Unexpected error while verifying the delivery.", { cause: error });
    reporter.report(err, { stage: "verify", code: err.code });
    return obs.end(errorResult(err));
  }

  /** claim → the answer (duplicate, in progress, store down) or a claim to run. */
  async function claim(verified: VerifiedDelivery<M>, obs: Observation): Promise<Claimed<M>> {
    obs.verified(verified.event as AnyGeminiEvent, verified.ctx);
    let result;
    try {
      result = store ? await store.claim(verified.ctx.idempotencyKey) : "new";
    } catch (e) {
      return { answer: storeDown(e, verified, obs) };
    }
    return claimed(result, verified, obs);
  }

  /** What the store's answer to a claim means: 200 duplicate, 409 in progress, or a claim to run. */
  function claimed(result: ClaimResult, verified: VerifiedDelivery<M>, obs: Observation): Claimed<M> {
    const { event, ctx } = verified;
    if (result === "done") return { answer: obs.end(ok("duplicate", verified)) };
    if (result === "in_progress") {
      const err = new WebhookVerificationError("in_progress", `Delivery ${ctx.webhookId} is being processed right now; retry later.`);
      return { answer: obs.end({ ...errorResult(err), event, ctx }) };
    }
    return { claim: new Claim(verified, deps, obs) };
  }

  /** 503 store_unavailable: the store could not claim the delivery (reported). */
  function storeDown(e: unknown, verified: VerifiedDelivery<M>, obs: Observation): HandleResult<M> {
    const { event, ctx } = verified;
    reporter.report(e, { stage: "store", webhookId: ctx.webhookId, event: event as AnyGeminiEvent, code: "store_unavailable" });
    const err = new WebhookVerificationError("store_unavailable", "The idempotency store is unreachable; the delivery was not processed and will be retried.", { cause: e });
    return obs.end({ ...errorResult(err), event, ctx });
  }

  /** method → verify → claim. */
  async function start(request: WebhookRequest, obs: Observation): Promise<Claimed<M>> {
    const method = request?.method;
    if (!isPost(method)) {
      return { answer: reject(new WebhookVerificationError("method_not_allowed", `${method} is not allowed here; Gemini delivers webhooks with POST.`), obs) };
    }
    let verified: VerifiedDelivery<M>;
    try {
      verified = keyed(await verify(request));
    } catch (e) {
      return { answer: reject(e, obs) };
    }
    return await claim(verified, obs);
  }

  /** Runs a claimed delivery (enqueue in durable mode, else its handlers) and settles it. */
  async function run(claim: Claim<M>, obs: Observation): Promise<HandleResult<M>> {
    const { event, ctx } = claim.verified;
    claim.hold();
    if (options.queue) {
      try {
        await options.queue.enqueue(event as AnyGeminiEvent, ctx);
      } catch (e) {
        const answer = new WebhookVerificationError("store_unavailable", "The queue is unreachable; the delivery was not accepted and will be retried.", { cause: e });
        return await claim.fail(e, { stage: "queue", answer });
      }
      return await claim.complete();
    }
    const list = dispatcher.handlersFor(event.type);
    if (list.length === 0) return await claim.complete("ignored");
    const unit = store?.runInUnit?.bind(store);
    // with a unit of work (a transaction), the store marks the id done inside it, with the handlers' writes
    const handled = unit
      ? unit(ctx.idempotencyKey, async (extra) => {
          await dispatcher.dispatch(event as AnyGeminiEvent, extra && typeof extra === "object" ? { ...ctx, ...extra } : ctx, list, obs);
        })
      : dispatcher.dispatch(event as AnyGeminiEvent, ctx, list, obs);
    const settled = Promise.resolve(handled).then(
      () => claim.complete("received", unit !== undefined),
      (e: unknown) =>
        unit && e instanceof WebhookVerificationError && e.code === "store_unavailable" ? claim.fail(e.cause ?? e, { stage: "store", answer: e }) : claim.fail(e),
    );
    if (options.ack === "immediate") return ok("received", claim.verified);
    return await settled;
  }

  async function begin(request: WebhookRequest): Promise<Begun<M>> {
    const c = await start(request, deps.observe());
    return c.answer ? { answer: c.answer } : { delivery: claimedDelivery(c.claim) };
  }

  const fast = createFastPath<M>({ ...deps, readRequest, keyed, claimed, storeDown, reject, run });

  function handle(request: WebhookRequest): Promise<HandleResult<M>> {
    let obs: Observation;
    let answered: HandleResult<M> | Promise<HandleResult<M>> | undefined;
    try {
      obs = deps.observe();
      answered = fast?.handle?.(request, obs);
    } catch (e) {
      return Promise.reject(e);
    }
    return answered !== undefined ? Promise.resolve(answered) : handleOnPipeline(request, obs);
  }

  async function handleOnPipeline(request: WebhookRequest, obs: Observation): Promise<HandleResult<M>> {
    const c = await start(request, obs);
    return c.answer ?? (await run(c.claim, obs));
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
        idempotencyKey: processKey(options.namespace, pctx.scheme, pctx.webhookId),
      },
    });
    if (key !== undefined) verified.ctx.idempotencyKey = key;
    const c = await claim(verified, obs);
    return c.answer ?? (await run(c.claim, obs));
  }

  return {
    verify,
    /** verify → the event only. */
    verifyEvent: async (request: WebhookRequest) => (await verify(request)).event,
    begin,
    handle,
    process,
    /** An error an adapter found itself (a failed read), answered and reported like core's own. */
    reject: (error: unknown) => reject(error, deps.observe()),
  };
}
