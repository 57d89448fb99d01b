import type { AnyGeminiEvent } from "@gemini-webhooks/core";
import type { BatchJobLike } from "./client.js";

/** The event each terminal batch state is announced with. */
export const TERMINAL_EVENT: Readonly<Record<string, "batch.succeeded" | "batch.failed" | "batch.cancelled" | "batch.expired">> = {
  JOB_STATE_SUCCEEDED: "batch.succeeded",
  BATCH_STATE_SUCCEEDED: "batch.succeeded",
  JOB_STATE_PARTIALLY_SUCCEEDED: "batch.succeeded",
  JOB_STATE_FAILED: "batch.failed",
  BATCH_STATE_FAILED: "batch.failed",
  JOB_STATE_CANCELLED: "batch.cancelled",
  BATCH_STATE_CANCELLED: "batch.cancelled",
  JOB_STATE_EXPIRED: "batch.expired",
  BATCH_STATE_EXPIRED: "batch.expired",
};

/** A job that reached a terminal state, as the event its webhook would have carried. */
export interface TerminalJob {
  name: string;
  /** When it ended (`endTime`, else `updateTime`), epoch ms. */
  endedAt: number;
  event: AnyGeminiEvent;
}

const time = (s: string | undefined): number | undefined => {
  if (typeof s !== "string") return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
};

/**
 * The event a terminal job is announced with (the same `type` and `data.id` as Gemini's webhook, so
 * `dedupeBy: "event"` gives both one key), or undefined for a job still running or without a name or time.
 */
export function terminalJob(job: BatchJobLike): TerminalJob | undefined {
  const type = TERMINAL_EVENT[job.state ?? ""];
  const name = job.name;
  const endedAt = time(job.endTime) ?? time(job.updateTime);
  if (type === undefined || typeof name !== "string" || name === "" || endedAt === undefined) return undefined;
  const timestamp = new Date(endedAt).toISOString();
  let data: Record<string, unknown>;
  switch (type) {
    case "batch.succeeded":
      // A batch with inlined responses has no file: batchResults() then reads them from the job.
      data = { id: name, output_file_uri: job.dest?.fileName ?? "" };
      break;
    case "batch.failed":
      data = {
        id: name,
        error_code: job.error?.code !== undefined ? String(job.error.code) : "UNKNOWN",
        error_message: job.error?.message ?? "The batch failed; the job listing gives no reason (see ai.batches.get).",
      };
      break;
    default:
      data = { id: name };
  }
  return { name, endedAt, event: { type, timestamp, data } as AnyGeminiEvent };
}
