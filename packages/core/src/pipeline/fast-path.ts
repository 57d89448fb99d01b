import { ok } from "../adapter/answers.js";
import type { AnyGeminiEvent } from "../events.js";
import { timingSafeEqualString } from "../lib/bytes.js";
import { isPost } from "../lib/http.js";
import type { ResolvedOptions } from "../receiver/options.js";
import type { HandleResult, VerifiedDelivery, WebhookRequest } from "../receiver/types.js";
import type { ClaimResult, DeadLetterStore, IdempotencyStore } from "../stores/contracts.js";
import { checkDelivery, standardDelivery, type VerifierState } from "../verify/delivery.js";
import type { WebhookHeaders } from "../verify/headers.js";
import { v1Mismatch } from "../verify/v1.js";
import type { Reporter } from "../logging.js";
import { Claim, type ClaimDeps } from "./claim.js";
import type { Dispatcher } from "./dispatcher.js";
import type { Observation } from "./hooks.js";
import type { Claimed } from "./pipeline.js";

/** The pipeline's steps the fast path shares (pipeline.ts): the same checks and the same answers. */
export interface FastPathDeps<M> extends ClaimDeps {
  options: ResolvedOptions;
  verifier: VerifierState;
  dispatcher: Dispatcher;
  readRequest(request: WebhookRequest): { headers: WebhookHeaders; bytes: Uint8Array };
  keyed(verified: VerifiedDelivery<M>): VerifiedDelivery<M>;
  claimed(result: ClaimResult, verified: VerifiedDelivery<M>, obs: Observation): Claimed<M>;
  storeDown(error: unknown, verified: VerifiedDelivery<M>, obs: Observation): HandleResult<M>;
  reject(error: unknown, obs: Observation): HandleResult<M>;
  run(claim: Claim<M>, obs: Observation): Promise<HandleResult<M>>;
}

/**
 * The one fast path (bench/README.md, "The one fast path"): what the pipeline's awaits cost is most of what
 * separates it from an inline receiver, counted per request over HTTP (1.62x against 1.23x of the inline
 * receiver's cost with this path). A v1 delivery that needs nothing asynchronous (the HMAC computed
 * synchronously by node:crypto, a store that answers at once: `synchronous: true`, as memoryStore; at most
 * one handler, returning no promise (several run through the pipeline's `run`); no hook that wraps handlers; no queue, no unit of work, no immediate
 * ack) goes from the request to the answer in one call: the same checks in the same order
 * (`readRequest`, `checkDelivery`), the same claim answers (`claimed`), the same settling as `Claim`.
 * Everything else returns undefined before any side effect and goes the pipeline's way from the start;
 * a handler's promise or throw hands the claimed delivery to `Claim`, which settles it as the pipeline does.
 * `verify()` takes the same v1 check (1.24x → about 1.1x of the node:crypto floor's time at 0.6 KB).
 */
export interface FastPath<M> {
  /** `verify()` now: the verified delivery, undefined (the pipeline's way), or the verification error thrown. */
  verify(request: WebhookRequest): VerifiedDelivery<M> | undefined;
  /** `handle()` now: the answer (its promise once a handler's promise took over), or undefined (the pipeline's way); undefined when this receiver's options rule it out. */
  handle: ((request: WebhookRequest, obs: Observation) => HandleResult<M> | Promise<HandleResult<M>> | undefined) | undefined;
}

export function createFastPath<M>(deps: FastPathDeps<M>): FastPath<M> | undefined {
  const { options, verifier, dispatcher, reporter } = deps;
  const store = deps.store as (IdempotencyStore & { readonly synchronous?: boolean }) | undefined;
  if (verifier.secrets.length === 0) return undefined;
  const settlesNow = !options.queue && options.ack !== "immediate" && (store === undefined || (store.synchronous === true && store.runInUnit === undefined));
  const deadLetters: DeadLetterStore | undefined = deps.deadLetters;
  // false once a secret's HMAC came back as a promise (Web Crypto): the pipeline's way from then on
  let hmacNow = true;

  /** The v1 check with HMACs computed now: the delivery, undefined (the pipeline's way), or a verification error thrown. */
  function verifyNow(headers: WebhookHeaders, body: Uint8Array): VerifiedDelivery<M> | undefined {
    const c = checkDelivery(headers, body, verifier);
    if (c.kind !== "standard" || !c.useV1) return undefined;
    const { secrets } = verifier;
    for (let i = 0; i < secrets.length; i++) {
      const expected = secrets[i]!.sign(c.prefix, body);
      if (typeof expected !== "string") {
        hmacNow = false;
        return undefined;
      }
      for (const sig of c.v1) if (timingSafeEqualString(expected, sig)) return standardDelivery(c.signed, "v1", { secretIndex: i }, verifier) as VerifiedDelivery<M>;
    }
    // no v1 match: a v1a signature of the same header is the pipeline's to check
    if (c.useV1a) return undefined;
    throw v1Mismatch(secrets.length);
  }

  function report(stage: "complete" | "dead_letters", e: unknown, verified: VerifiedDelivery<M>): void {
    reporter.report(e, { stage, webhookId: verified.ctx.webhookId, event: verified.event as AnyGeminiEvent });
  }

  /** Drops the delivery's dead letter (a failure is reported, never answered) and answers 200. */
  function answer(status: "received" | "ignored", verified: VerifiedDelivery<M>, obs: Observation): HandleResult<M> {
    try {
      const pending = deadLetters?.remove(verified.ctx.idempotencyKey);
      if (pending) Promise.resolve(pending).catch((e: unknown) => report("dead_letters", e, verified));
    } catch (e) {
      report("dead_letters", e, verified);
    }
    return obs.end(ok(status, verified)) as HandleResult<M>;
  }

  /** Marks the id processed (a store failure is reported, not answered), then answers, as `Claim.complete`. */
  function complete(status: "received" | "ignored", verified: VerifiedDelivery<M>, obs: Observation): HandleResult<M> | Promise<HandleResult<M>> {
    let marked: void | Promise<void> | undefined;
    try {
      marked = store?.complete(verified.ctx.idempotencyKey);
    } catch (e) {
      report("complete", e, verified);
    }
    if (!marked) return answer(status, verified, obs);
    // (a store that said synchronous and gave a promise anyway is waited for, as Claim does)
    return Promise.resolve(marked).then(
      () => answer(status, verified, obs),
      (e: unknown) => (report("complete", e, verified), answer(status, verified, obs)),
    );
  }

  /** After the store's answer: the duplicate / in-progress answer, or the handler run and settled. */
  function afterClaim(result: ClaimResult, verified: VerifiedDelivery<M>, obs: Observation): HandleResult<M> | Promise<HandleResult<M>> {
    if (result !== "new") return deps.claimed(result, verified, obs).answer!;
    const list = dispatcher.handlersFor(verified.event.type);
    if (list.length === 0) return complete("ignored", verified, obs);
    if (list.length > 1) return deps.run(new Claim(verified, deps, obs), obs);
    let returned: unknown;
    try {
      returned = list[0]!(verified.event as AnyGeminiEvent, verified.ctx);
    } catch (e) {
      return new Claim(verified, deps, obs).fail(e);
    }
    if (returned === null || (typeof returned !== "object" && typeof returned !== "function") || typeof (returned as PromiseLike<unknown>).then !== "function") {
      return complete("received", verified, obs);
    }
    const claim = new Claim(verified, deps, obs);
    claim.hold();
    return Promise.resolve(returned).then(
      () => claim.complete(),
      (e: unknown) => claim.fail(e),
    );
  }

  function verify(request: WebhookRequest): VerifiedDelivery<M> | undefined {
    if (!hmacNow) return undefined;
    const { headers, bytes } = deps.readRequest(request);
    return verifyNow(headers, bytes);
  }

  function handle(request: WebhookRequest, obs: Observation): HandleResult<M> | Promise<HandleResult<M>> | undefined {
    if (!hmacNow || obs.wraps || request === null || typeof request !== "object" || !isPost(request.method)) return undefined;
    let verified: VerifiedDelivery<M> | undefined;
    try {
      const { headers, bytes } = deps.readRequest(request);
      verified = verifyNow(headers, bytes);
    } catch (e) {
      return deps.reject(e, obs);
    }
    if (verified === undefined) return undefined;
    verified = deps.keyed(verified);
    obs.verified(verified.event as AnyGeminiEvent, verified.ctx);
    let result: ClaimResult | Promise<ClaimResult>;
    try {
      result = store ? store.claim(verified.ctx.idempotencyKey) : "new";
    } catch (e) {
      return deps.storeDown(e, verified, obs);
    }
    if (typeof result === "string") return afterClaim(result, verified, obs);
    const v = verified;
    return Promise.resolve(result).then(
      (r) => afterClaim(r, v, obs),
      (e: unknown) => deps.storeDown(e, v, obs),
    );
  }

  return { verify, handle: settlesNow ? handle : undefined };
}
