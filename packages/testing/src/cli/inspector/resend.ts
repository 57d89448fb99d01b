import { createSender, type AttemptReport } from "../../sender.js";
import { newMessageId } from "../../sign-static.js";
import { RESEND_HEADER, type DeliveryRecord } from "../listen/record.js";

/** Progress of one resend, as the page shows it. */
export interface ResendProgress {
  seq: number;
  webhookId: string;
  attempt?: number;
  status?: number;
  outcome?: string;
  done: boolean;
  delivered?: boolean;
  error?: string;
}

export interface Resender {
  /** Whether a record can be resent, and why not. */
  check(record: DeliveryRecord): { available: boolean; reason?: string };
  /** Starts re-delivering a record (same webhook-id, or a fresh one); progress goes to `onProgress`. */
  start(record: DeliveryRecord, fresh: boolean): { webhookId: string };
  /** Stops every resend still waiting out a backoff. */
  close(): void;
}

/**
 * Resends a delivery to the listener itself (so it is verified, shown and forwarded like any other) through
 * the package's `createSender`: signed v1 with the listener's secret, retried on any non-2xx with Gemini's
 * backoff (5 s doubling, up to 24 h). The sender marks each attempt with RESEND_HEADER.
 */
export function createResender(options: { listening: string; secret: string | undefined; onProgress(p: ResendProgress): void }): Resender {
  const stopped = new AbortController();
  const sleep = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (stopped.signal.aborted) return reject(new Error("listener stopped"));
      const timer = setTimeout(resolve, ms);
      stopped.signal.addEventListener("abort", () => (clearTimeout(timer), reject(new Error("listener stopped"))), { once: true });
    });

  return {
    check(r) {
      if (!r.verification?.ok || r.event === undefined) return { available: false, reason: "only a verified delivery can be resent" };
      if (r.verification.scheme !== "v1") return { available: false, reason: `resend signs with the static secret (v1); send ${r.verification.scheme} deliveries again with trigger --dynamic` };
      if (options.secret === undefined) return { available: false, reason: "no secret to sign with" };
      if (r.bodyTruncated) return { available: false, reason: "the body was too large to keep" };
      return { available: true };
    },
    start(r, fresh) {
      const webhookId = fresh ? newMessageId() : (r.verification as { webhookId: string }).webhookId;
      const report = (p: Omit<ResendProgress, "seq" | "webhookId">) => options.onProgress({ seq: r.seq, webhookId, ...p });
      const sender = createSender({
        url: new URL(r.path, options.listening).href,
        secret: options.secret!,
        scheme: "v1",
        headers: { "user-agent": "gemini-webhooks-inspector", [RESEND_HEADER]: String(r.seq) },
        sleep,
        onAttempt: (a: AttemptReport) => {
          const done = a.outcome === "ok";
          report({ attempt: a.n, ...(a.status !== undefined ? { status: a.status } : {}), outcome: a.answer ?? a.outcome, done, ...(done ? { delivered: true } : {}) });
        },
      });
      sender.send(r.body, { id: webhookId }).then(
        (d) => {
          if (!d.delivered) {
            const last = d.attempts[d.attempts.length - 1]!;
            report({ attempt: last.n, ...(last.status !== undefined ? { status: last.status } : {}), outcome: last.answer ?? last.outcome, done: true, delivered: false });
          }
        },
        (e: unknown) => report({ done: true, delivered: false, error: (e as Error).message }),
      );
      return { webhookId };
    },
    close() {
      stopped.abort();
    },
  };
}
