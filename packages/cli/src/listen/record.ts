import type { HandleResult } from "@gemini-webhooks/core";

/** How the listener's verification of one request ended. */
export type Verification =
  | { ok: true; scheme: string; webhookId: string; timestamp: string; keyId?: string; secretIndex?: number }
  | { ok: false; code: string; message: string; scheme?: string };

/** What the app answered when the delivery was forwarded (`listen --forward`). */
export interface ForwardResult {
  url: string;
  /** The app's status; absent when the app could not be reached. */
  status?: number;
  /** The app's body (text, capped). */
  body?: string;
  /** Why the app was not reached (refused, timeout…). */
  error?: string;
  durationMs: number;
}

/** One request the listener received: everything the terminal, `--json` and the inspector show. */
export interface DeliveryRecord {
  /** 1, 2, 3… in arrival order. */
  seq: number;
  receivedAt: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The raw body as text (capped at BODY_SHOWN bytes). */
  body: string;
  bodyTruncated: boolean;
  verification?: Verification;
  /** The event type, once verified. */
  type?: string;
  event?: unknown;
  /** What the sender was answered. */
  answer: { status: number; body: string };
  /** The answer in one word: `received`, `duplicate`, an error code, `forward_failed`, or the status. */
  outcome: string;
  forward?: ForwardResult;
  /** The record this one re-delivers (an inspector resend). */
  resendOf?: number;
}

export const BODY_SHOWN = 256 * 1024;

/** Marks a resend from the inspector (and is not forwarded to the app). */
export const RESEND_HEADER = "x-gemini-webhooks-resend";

/** The one-word outcome of an answer: the status word or error code of a Gemini-style JSON body, else the status. */
export function outcomeOf(status: number, body: string): string {
  try {
    const j = JSON.parse(body) as { status?: unknown; error?: { code?: unknown } };
    if (typeof j?.status === "string") return j.status;
    if (typeof j?.error?.code === "string") return j.error.code;
  } catch {
    /* not JSON */
  }
  return String(status);
}

export function verificationOf(result: HandleResult): Verification | undefined {
  if (result.ctx) {
    const c = result.ctx;
    return {
      ok: true,
      scheme: c.scheme,
      webhookId: c.webhookId,
      timestamp: c.timestamp.toISOString(),
      ...(c.keyId !== undefined ? { keyId: c.keyId } : {}),
      ...(c.secretIndex !== undefined ? { secretIndex: c.secretIndex } : {}),
    };
  }
  if (result.error && result.error.code !== "method_not_allowed") {
    return { ok: false, code: result.error.code, message: result.error.message, ...(result.error.scheme ? { scheme: result.error.scheme } : {}) };
  }
  return undefined;
}

/** The last `capacity` records, with listeners told of each new one (the terminal, the inspector). */
export class DeliveryLog {
  readonly #records: DeliveryRecord[] = [];
  readonly #listeners = new Set<(r: DeliveryRecord) => void>();
  #seq = 0;

  constructor(readonly capacity = 500) {}

  nextSeq(): number {
    return ++this.#seq;
  }

  add(record: DeliveryRecord): void {
    this.#records.push(record);
    if (this.#records.length > this.capacity) this.#records.shift();
    for (const l of this.#listeners) {
      try {
        l(record);
      } catch {
        /* a display that fails must not change an answer */
      }
    }
  }

  get(seq: number): DeliveryRecord | undefined {
    return this.#records.find((r) => r.seq === seq);
  }

  all(): readonly DeliveryRecord[] {
    return this.#records;
  }

  get count(): number {
    return this.#seq;
  }

  subscribe(listener: (r: DeliveryRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
