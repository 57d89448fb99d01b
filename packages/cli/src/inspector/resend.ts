import { createSender, type AttemptReport } from "@gemini-webhooks/testing";
import { newMessageId } from "@gemini-webhooks/testing";
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
 * Where a resend of a delivery received at `path` goes: the listener's own origin, never another. The path is
 * the request-target the sender chose, so it is reduced to origin-form first: an absolute-form target
 * (`http://elsewhere/x`) keeps only its path, and leading slashes or backslashes (`//elsewhere/x`,
 * `/\elsewhere/x`, which a URL parser reads as another host) collapse to one.
 */
export function resendUrl(listening: string, path: string): string {
  const origin = new URL(listening).origin;
  let p = path;
  if (!p.startsWith("/") && !p.startsWith("\\")) {
    try {
      const u = new URL(p);
      p = `${u.pathname}${u.search}`;
    } catch {
      p = "/";
    }
  }
  const q = p.indexOf("?");
  const target = new URL(origin);
  target.pathname = `/${(q >= 0 ? p.slice(0, q) : p).replace(/\\/g, "/").replace(/^\/+/, "")}`;
  target.search = q >= 0 ? p.slice(q) : "";
  if (target.origin !== origin) throw new Error(`a resend goes to ${origin} only`);
  return target.href;
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
        url: resendUrl(options.listening, r.path),
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
