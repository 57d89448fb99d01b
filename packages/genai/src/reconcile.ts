import type { GeminiWebhooks, HandleResult, IdempotencyStore } from "@gemini-webhooks/core";
import { isGeminiWebhooks, settingsOf } from "@gemini-webhooks/core/extend";
import type { GenAIClient } from "./client.js";
import { GenaiError } from "./errors.js";
import { terminalJob, type TerminalJob } from "./jobs.js";

/** The receiver reconciliation dispatches through (made with `dedupeBy: "event"`). */
/** A receiver (its store holds the checkpoint), or anything with `process` and a `store`. */
export type ReconcileTarget = Pick<GeminiWebhooks<any, any>, "process"> & { store?: IdempotencyStore | undefined };

export interface ReconcileOptions {
  /** The user's `GoogleGenAI` client. */
  ai: GenAIClient;
  /**
   * The receiver whose handlers run the missed outcomes. Create it with `dedupeBy: "event"`, so a job
   * outcome has one key whether it comes by webhook or by reconciliation (else it may run twice).
   */
  webhooks: ReconcileTarget;
  /**
   * Look at jobs that ended at or after this time, instead of the stored checkpoint. Keep it within the
   * idempotency store's memory (25 h by default): outcomes processed before that are no longer remembered.
   */
  since?: Date | number;
  /** Jobs that ended less than this long ago are left to their webhook (the next run takes them), ms. Default 2 min. */
  graceMs?: number;
  /**
   * The window never starts earlier than now − lookbackMs (without `since`): the first run looks this far
   * back, and an outcome that kept failing drops out after this long (it stays in the dead letters). Keep it
   * under the store's memory of processed outcomes (25 h by default). Default 24 h.
   */
  lookbackMs?: number;
  /** Where the checkpoint lives in the receiver's store (shared by every instance on that store). */
  checkpointKey?: string;
  /** Jobs per list page. Default 100. */
  pageSize?: number;
  /** Clock, epoch ms. Default Date.now. */
  now?: () => number;
}

/** What happened to one job outcome. */
export interface ReconciledJob {
  job: string;
  type: string;
  endedAt: Date;
  /** received: its handlers ran now; duplicate: it had been processed; ignored: no handler; in_progress: being processed elsewhere right now; failed: a handler threw or the store was down (the next run retries it). */
  result: "received" | "duplicate" | "ignored" | "in_progress" | "failed";
  error?: { code: string; message: string };
}

export interface ReconcileReport {
  /** The window looked at: jobs that ended in [since, until]. */
  since: Date;
  until: Date;
  /** Where the next run starts (stored when the store can hold it). */
  checkpoint: Date;
  /** Jobs listed (any state). */
  listed: number;
  jobs: ReconciledJob[];
  counts: Record<ReconciledJob["result"], number>;
}

export const DEFAULT_CHECKPOINT_KEY = "gemini-webhooks:reconcile:checkpoint";
const CHECKPOINT_TTL_MS = 30 * 24 * 60 * 60 * 1000;

type KvStore = IdempotencyStore & Required<Pick<IdempotencyStore, "get" | "set">>;
const hasKv = (s: IdempotencyStore | undefined): s is KvStore => typeof s?.get === "function" && typeof s?.set === "function";

/** Reads the stored checkpoint (epoch ms), or undefined when none is stored. */
export async function readCheckpoint(store: IdempotencyStore | undefined, key = DEFAULT_CHECKPOINT_KEY): Promise<number | undefined> {
  if (!hasKv(store)) return undefined;
  const raw = await store.get(key);
  if (raw === undefined || raw === null) return undefined;
  const t = Date.parse(raw);
  if (!Number.isFinite(t)) throw new GenaiError("configuration", `The reconcile checkpoint under "${key}" is not a date; delete that key or pass since.`);
  return t;
}

function outcome(result: HandleResult<any>): Pick<ReconciledJob, "result" | "error"> {
  const body = result.body as { status?: string; error?: { code: string; message: string } };
  if (result.status === 200 && (body.status === "received" || body.status === "duplicate" || body.status === "ignored")) return { result: body.status };
  if (body.error?.code === "in_progress") return { result: "in_progress" };
  return { result: "failed", ...(body.error ? { error: { code: body.error.code, message: body.error.message } } : {}) };
}

/**
 * Lists the batch jobs that reached a terminal state since the checkpoint and runs, through the receiver's
 * own handlers (`webhooks.process`, `ctx.scheme === "reconcile"`), the event of each whose outcome was never
 * processed: a delivery that was dropped, an endpoint Gemini disabled, a deploy that outlasted the retries.
 * With `dedupeBy: "event"` an outcome already handled by webhook answers `duplicate` and does not run again,
 * and a webhook arriving afterwards answers `duplicate` too. Instances sharing a store (redisStore) can
 * reconcile at the same time: each outcome runs once.
 *
 * The checkpoint advances to `now − graceMs`, but never past an outcome that failed or was in progress, so
 * those are tried again by the next run.
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const { ai, webhooks } = options;
  if (!ai?.batches || typeof ai.batches.list !== "function") throw new GenaiError("configuration", "reconcile needs ai: your GoogleGenAI client.");
  if (typeof webhooks?.process !== "function") {
    throw new GenaiError("configuration", "reconcile needs webhooks: the receiver made by createGeminiWebhooks({ ..., dedupeBy: \"event\" }).");
  }
  const now = options.now ?? Date.now;
  const graceMs = options.graceMs ?? 2 * 60_000;
  const key = options.checkpointKey ?? DEFAULT_CHECKPOINT_KEY;
  const store = isGeminiWebhooks(webhooks) ? settingsOf(webhooks).store : webhooks.store;
  let since: number;
  if (options.since !== undefined) {
    since = typeof options.since === "number" ? options.since : options.since.getTime();
    if (!Number.isFinite(since)) throw new GenaiError("configuration", "since must be a Date or epoch ms.");
  } else {
    if (!hasKv(store)) {
      throw new GenaiError(
        "configuration",
        "reconcile keeps its checkpoint in the idempotency store, and this one has no get/set: use memoryStore() or redisStore(), or pass since.",
      );
    }
    const earliest = now() - (options.lookbackMs ?? 24 * 60 * 60 * 1000);
    since = Math.max((await readCheckpoint(store, key)) ?? earliest, earliest);
  }
  const until = now() - graceMs;

  // Collect the window's terminal jobs (listing order is not guaranteed), then run them oldest first.
  const due: TerminalJob[] = [];
  let listed = 0;
  const pager = await ai.batches.list({ config: { pageSize: options.pageSize ?? 100 } });
  for await (const job of pager) {
    listed++;
    const t = terminalJob(job);
    if (t && t.endedAt >= since && t.endedAt <= until) due.push(t);
  }
  due.sort((a, b) => a.endedAt - b.endedAt);

  const jobs: ReconciledJob[] = [];
  let checkpoint = Math.max(since, until);
  for (const t of due) {
    const result = await webhooks.process(t.event, {
      webhookId: `reconcile:${t.event.type}:${t.name}`,
      scheme: "reconcile",
      timestamp: new Date(t.endedAt),
    });
    const o = outcome(result);
    jobs.push({ job: t.name, type: t.event.type, endedAt: new Date(t.endedAt), ...o });
    if (o.result === "failed" || o.result === "in_progress") checkpoint = Math.min(checkpoint, t.endedAt);
  }
  if (hasKv(store)) await store.set(key, new Date(checkpoint).toISOString(), CHECKPOINT_TTL_MS);

  const counts = { received: 0, duplicate: 0, ignored: 0, in_progress: 0, failed: 0 };
  for (const j of jobs) counts[j.result]++;
  return { since: new Date(since), until: new Date(until), checkpoint: new Date(checkpoint), listed, jobs, counts };
}
