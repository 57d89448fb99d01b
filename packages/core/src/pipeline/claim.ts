import { ok, errorResult } from "../adapter/answers.js";
import { WebhookVerificationError } from "../errors.js";
import type { AnyGeminiEvent, UserMetadata } from "../events.js";
import type { Reporter } from "../logging.js";
import type { HandleResult, VerifiedDelivery } from "../receiver/types.js";
import type { DeadLetterStore, IdempotencyStore } from "../stores/contracts.js";
import type { Observation } from "./hooks.js";
import type { LeaseKeeper } from "./leases.js";

/** A verified delivery whose id is claimed: settle it exactly once. */
export interface ClaimedDelivery<M = UserMetadata> extends VerifiedDelivery<M> {
  /** Marks the id processed and returns the 200 answer (`received`, or `ignored`). */
  complete(status?: "received" | "ignored"): Promise<HandleResult<M>>;
  /**
   * Releases the claim (so Gemini's retry can succeed), keeps the delivery as a dead letter, reports the
   * error (once), and returns the answer: 500 `handler_failed` unless another is given.
   */
  fail(error: unknown, options?: FailOptions): Promise<HandleResult<M>>;
}

export interface FailOptions {
  /** Where it failed: a handler (the default: kept as a dead letter), the queue, or the store's unit of work. */
  stage?: "handler" | "queue" | "store";
  /** The answer to give instead of 500 `handler_failed`. */
  answer?: WebhookVerificationError;
}

export interface ClaimDeps {
  store: IdempotencyStore | undefined;
  leases: LeaseKeeper;
  deadLetters: DeadLetterStore | undefined;
  reporter: Reporter;
  now: () => number;
}

/**
 * A claim on a verified delivery until it is settled, once: complete (the id is marked processed, its dead
 * letter goes) or fail (the claim is released, a handler failure is kept as a dead letter). While held, its
 * lease is renewed (LeaseKeeper), so a slow handler in a live process never lets a copy start.
 */
export class Claim<M = UserMetadata> {
  private settled = false;
  private held = false;

  constructor(
    readonly verified: VerifiedDelivery<M>,
    private readonly deps: ClaimDeps,
    private readonly obs: Observation,
  ) {}

  /** Keeps the lease alive until the claim is settled. */
  hold(): void {
    if (this.held || this.settled) return;
    this.held = true;
    this.deps.leases.hold(this.verified.ctx.idempotencyKey);
  }

  /** `marked`: the store's unit of work has marked the id done already (only the lease is dropped). */
  async complete(status: "received" | "ignored" = "received", marked = false): Promise<HandleResult<M>> {
    const result = ok(status, this.verified) as HandleResult<M>;
    if (this.settled) return result;
    this.settled = true;
    await this.settle(marked ? undefined : "complete");
    this.quietly("dead_letters", () => this.deps.deadLetters?.remove(this.verified.ctx.idempotencyKey));
    return this.obs.end(result);
  }

  async fail(error: unknown, options: FailOptions = {}): Promise<HandleResult<M>> {
    const { event, ctx } = this.verified;
    const stage = options.stage ?? "handler";
    const answer =
      options.answer ??
      new WebhookVerificationError("handler_failed", `A handler for ${event.type} failed; the delivery was not marked processed, so Gemini's retry will run it again.`, { cause: error });
    const result = { ...errorResult(answer), event, ctx } as HandleResult<M>;
    if (this.settled) return result;
    this.settled = true;
    await this.settle("release");
    this.deps.reporter.report(error, { stage, webhookId: ctx.webhookId, event: event as AnyGeminiEvent, code: answer.code });
    if (stage === "handler") this.quietly("dead_letters", () => this.deps.deadLetters?.record(deadLetterOf(this.verified, error, answer.code), this.deps.now()));
    return this.obs.end(result);
  }

  /** Drops the lease and tells the store (a failure is reported, never answered: the outcome stands). */
  private async settle(how: "complete" | "release" | undefined): Promise<void> {
    const { store, leases } = this.deps;
    const key = this.verified.ctx.idempotencyKey;
    if (this.held) leases.drop(key);
    if (!store || how === undefined) return;
    try {
      await store[how](key);
    } catch (e) {
      this.report("complete", e);
    }
  }

  /** A dead-letter call that neither blocks nor changes the answer. */
  private quietly(stage: "dead_letters", call: () => void | Promise<void> | undefined): void {
    try {
      const pending = call();
      if (pending) Promise.resolve(pending).catch((e: unknown) => this.report(stage, e));
    } catch (e) {
      this.report(stage, e);
    }
  }

  private report(stage: "complete" | "dead_letters", e: unknown): void {
    const { event, ctx } = this.verified;
    this.deps.reporter.report(e, { stage, webhookId: ctx.webhookId, event: event as AnyGeminiEvent });
  }
}

/** The dead letter of a delivery whose handlers failed. */
function deadLetterOf(verified: VerifiedDelivery<any>, error: unknown, code: string) {
  const { event, ctx } = verified;
  const cause = error instanceof Error ? error : new Error(String(error));
  return {
    id: ctx.idempotencyKey,
    event: event as AnyGeminiEvent,
    ctx: {
      webhookId: ctx.webhookId,
      timestamp: ctx.timestamp.toISOString(),
      scheme: ctx.scheme,
      ...(ctx.secretIndex !== undefined ? { secretIndex: ctx.secretIndex } : {}),
      ...(ctx.keyId !== undefined ? { keyId: ctx.keyId } : {}),
    },
    error: { name: cause.name, message: cause.message, code },
  };
}

/** The claimed delivery of a claim (what `begin()` gives): its claim is kept alive until it is settled, once. */
export function claimedDelivery<M>(claim: Claim<M>): ClaimedDelivery<M> {
  const { event, ctx } = claim.verified;
  claim.hold();
  return {
    event,
    ctx,
    complete: (status) => claim.complete(status),
    fail: (error, options) => claim.fail(error, options),
  };
}
