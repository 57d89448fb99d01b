import { errorResult, ok } from "./answers.js";
import { toBytes, checkEnvelope } from "./body.js";
import { claimedDelivery, type ClaimDeps, type ClaimedDelivery } from "./claimed.js";
import type { Dispatcher } from "./dispatcher.js";
import { WebhookVerificationError } from "./errors.js";
import type { AnyGeminiEvent, GeminiWebhookEvent, UserMetadata } from "./events.js";
import { readWebhookHeaders } from "./headers.js";
import type { Observation } from "./hooks.js";
import type { ResolvedOptions } from "./options.js";
import type { ClaimResult } from "./store.js";
import type { HandleResult, ProcessContext, VerifiedDelivery, WebhookRequest } from "./types.js";
import { verifyDelivery, type VerifierState } from "./verify.js";

/** What `begin()` gives: an answer to send now, or a claimed delivery to run. */
export type Begun<M = UserMetadata> = { answer: HandleResult<M>; delivery?: undefined } | { answer?: undefined; delivery: ClaimedDelivery<M> };

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

  async function verifyRequest(request: WebhookRequest): Promise<VerifiedDelivery<M>> {
    if (request === null || typeof request !== "object") {
      throw new WebhookVerificationError("configuration", "verify/handle take { body, headers }.");
    }
    const bytes = toBytes(request.body);
    if (bytes.length > options.maxBodyBytes) {
      throw new WebhookVerificationError("body_too_large", `The body is ${bytes.length} bytes, over maxBodyBytes (${options.maxBodyBytes}).`);
    }
    const headers = readWebhookHeaders(request.headers ?? {});
    return (await verifyDelivery(headers, bytes, verifier)) as VerifiedDelivery<M>;
  }

  /** An error answer, reported (logged at its level, onError) and observed. */
  function reject(error: unknown, obs: Observation): HandleResult<M> {
    const err = error instanceof WebhookVerificationError ? error : new WebhookVerificationError("configuration", "Unexpected error while verifying the delivery.", { cause: error });
    reporter.report(err, { stage: "verify", code: err.code });
    return obs.end(errorResult(err));
  }

  /** claim → the answer (duplicate, in progress, store down) or a claimed delivery. */
  async function claim(verified: VerifiedDelivery<M>, obs: Observation): Promise<Begun<M>> {
    const { event, ctx } = verified;
    obs.verified(event as AnyGeminiEvent, ctx);
    let claimed: ClaimResult;
    try {
      const c = store ? store.claim(ctx.idempotencyKey) : "new";
      claimed = typeof c === "string" ? c : await c;
    } catch (e) {
      reporter.report(e, { stage: "store", webhookId: ctx.webhookId, event: event as AnyGeminiEvent, code: "store_unavailable" });
      const err = new WebhookVerificationError("store_unavailable", "The idempotency store is unreachable; the delivery was not processed and will be retried.", { cause: e });
      return { answer: obs.end({ ...errorResult(err), event, ctx }) };
    }
    if (claimed === "done") return { answer: obs.end(ok("duplicate", verified)) };
    if (claimed === "in_progress") {
      const err = new WebhookVerificationError("in_progress", `Delivery ${ctx.webhookId} is being processed right now; retry later.`);
      return { answer: obs.end({ ...errorResult(err), event, ctx }) };
    }
    return { delivery: claimedDelivery(verified, deps, obs) };
  }

  async function begin(request: WebhookRequest, obs: Observation = deps.observe()): Promise<Begun<M>> {
    const method = request?.method;
    if (method !== undefined && method.toUpperCase() !== "POST") {
      return { answer: reject(new WebhookVerificationError("method_not_allowed", `${method} is not allowed here; Gemini delivers webhooks with POST.`), obs) };
    }
    let verified: VerifiedDelivery<M>;
    try {
      verified = keyed(await verifyRequest(request));
    } catch (e) {
      return { answer: reject(e, obs) };
    }
    return claim(verified, obs);
  }

  /** Runs a claimed delivery: enqueue (durable mode) or the handlers, then settles it. */
  async function run(delivery: ClaimedDelivery<M>, obs: Observation): Promise<HandleResult<M>> {
    const { event, ctx } = delivery;
    if (options.queue) {
      try {
        await options.queue.enqueue(event as AnyGeminiEvent, ctx);
      } catch (e) {
        const answer = new WebhookVerificationError("store_unavailable", "The queue is unreachable; the delivery was not accepted and will be retried.", { cause: e });
        return delivery.fail(e, { stage: "queue", answer });
      }
      return delivery.complete();
    }
    const list = dispatcher.handlersFor(event.type);
    if (list.length === 0) return delivery.complete("ignored");
    if (options.ack === "immediate") {
      void dispatcher.dispatch(event as AnyGeminiEvent, ctx, list, obs).then(
        () => delivery.complete(),
        (e) => delivery.fail(e),
      );
      return ok("received", delivery);
    }
    try {
      await dispatcher.dispatch(event as AnyGeminiEvent, ctx, list, obs);
    } catch (e) {
      return delivery.fail(e);
    }
    return delivery.complete();
  }

  async function handle(request: WebhookRequest): Promise<HandleResult<M>> {
    const obs = deps.observe();
    const begun = await begin(request, obs);
    return begun.answer ?? run(begun.delivery, obs);
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
    const begun = await claim(verified, obs);
    return begun.answer ?? run(begun.delivery, obs);
  }

  return { verifyRequest, begin, handle, process, reject };
}

export type Pipeline<M> = ReturnType<typeof createPipeline<M>>;
