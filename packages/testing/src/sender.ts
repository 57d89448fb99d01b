import type { TestIssuer } from "./issuer/server.js";
import { newMessageId, signStatic } from "./sign-static.js";

/** How a delivery is signed: static (v1, HMAC), dynamic as delivered (v1a, Ed25519) or as documented (JWT). */
export type SenderScheme = "v1" | "v1a" | "jwt";

/** What signs dynamic deliveries: a `createTestIssuer()` (or anything with the same two methods). */
export type SenderIssuer = Pick<TestIssuer, "signV1a" | "signJwt">;

export interface SenderRetryOptions {
  /** Most attempts per delivery, the first included. Default: no limit but the horizon. */
  maxAttempts?: number;
  /** Delay before the first retry; each next one doubles. Default 5 s. */
  baseDelayMs?: number;
  /** Ceiling of one delay. Default 1 h. */
  maxDelayMs?: number;
  /** Spread of each delay, 0 to 1: a delay d becomes d·(1 ± jitter). Default 0.25. */
  jitter?: number;
  /** An attempt with no complete answer within this (real) time is a failure. Default 10 s. */
  timeoutMs?: number;
  /** Multiplies every backoff delay (not the timeout): 0.001 runs 24 h of retries in 86 s. Default 1. */
  timeScale?: number;
  /** Gemini stops retrying after this much schedule time (unscaled). Default 24 h. */
  horizonMs?: number;
}

export interface SenderOptions {
  /** Where to POST, e.g. http://127.0.0.1:3000/gemini-callback. */
  url: string | URL;
  /** `whsec_…` secret: static (v1) signing. */
  secret?: string;
  /** A local JWKS issuer: dynamic (v1a or JWT) signing. */
  issuer?: SenderIssuer;
  /** Default: "v1" with a secret, else "v1a" (what dynamic webhooks send today). */
  scheme?: SenderScheme;
  retry?: SenderRetryOptions;
  /** Share of delivered events sent once more (same webhook-id, fresh signature), 0 to 1. Default 0. */
  duplicateRate?: number;
  /** Start deliveries out of order: true shuffles a whole batch, a number n shuffles within windows of n. */
  reorder?: boolean | number;
  /** Attempts in flight at once (waiting out a backoff does not count). Default 8. */
  concurrency?: number;
  /** Extra request headers (user-agent and the like). */
  headers?: Record<string, string>;
  /** Clock for webhook-timestamp, epoch ms. Default Date.now. */
  now?: () => number;
  /** Random source in [0, 1) for jitter, duplicates and reordering. Default Math.random. */
  random?: () => number;
  /** Waits out a (scaled) backoff delay. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** The HTTP client. Default the global fetch (inject one to add network faults). */
  fetch?: typeof fetch;
  /** Called after every attempt (duplicates included). */
  onAttempt?: (attempt: AttemptReport, delivery: DeliveryReport) => void;
}

/** How one attempt ended. */
export type AttemptOutcome = "ok" | "rejected" | "timeout" | "network_error";

export interface AttemptReport {
  /** 1 for the first attempt of a delivery; duplicates continue the count. */
  n: number;
  /** A regular attempt, or an injected duplicate of a delivered event. */
  kind: "delivery" | "duplicate";
  /** Backoff waited before it, in schedule (unscaled) ms. */
  delayMs: number;
  /** When it was sent, epoch ms. */
  startedAt: number;
  durationMs: number;
  outcome: AttemptOutcome;
  /** The HTTP status, when an answer came. */
  status?: number;
  /** What the receiver said: `"received"`, `"duplicate"`, an error code, or the start of a non-JSON body. */
  answer?: string;
  /** The receiver's error message, or the network error. */
  message?: string;
}

export interface DeliveryReport {
  /** webhook-id, the same on every attempt. */
  id: string;
  /** The event type. */
  type: string;
  /** A 2xx came back. */
  delivered: boolean;
  /** Why the sender stopped retrying, when it did. */
  gaveUp?: "max_attempts" | "horizon";
  attempts: AttemptReport[];
  /** Injected duplicate sends (after delivery). */
  duplicates: AttemptReport[];
  /** Total backoff of the schedule, unscaled ms. */
  scheduleMs: number;
}

export interface SenderStats {
  deliveries: number;
  delivered: number;
  /** Deliveries given up after retries. */
  failed: number;
  /** Deliveries still running. */
  pending: number;
  /** Regular attempts (duplicates not included). */
  attempts: number;
  /** attempts − first attempts. */
  retries: number;
  timeouts: number;
  networkErrors: number;
  duplicatesSent: number;
  /** Every send (duplicates included) by answer: "200 received", "500 handler_failed", "409 in_progress", "timeout", "network_error"… */
  answers: Record<string, number>;
  /** Delivered events by how many attempts they took. */
  attemptsPerDelivery: Record<number, number>;
  /** The largest number of attempts one delivery took. */
  maxAttempts: number;
}

export interface Sender {
  /** Delivers many, `concurrency` attempts at a time; reports in the input order. */
  send(events: readonly unknown[]): Promise<DeliveryReport[]>;
  /** Delivers one event (or the exact body, as a string) and reports every attempt. */
  send(event: unknown, options?: { id?: string }): Promise<DeliveryReport>;
  /** A snapshot of the counters so far (all sends). */
  readonly stats: SenderStats;
  readonly url: string;
}

const DAY = 24 * 60 * 60 * 1000;

function checkRange(name: string, v: number | undefined, min: number, max = Infinity): void {
  if (v !== undefined && !(typeof v === "number" && v >= min && v <= max)) {
    throw new RangeError(`createSender: ${name} must be a number from ${min}${max === Infinity ? "" : ` to ${max}`}, got ${String(v)}.`);
  }
}

/** A fixed-size pool of attempt slots, handed out in request order. */
function semaphore(size: number) {
  let free = size;
  const waiting: (() => void)[] = [];
  return {
    async acquire(): Promise<void> {
      if (free > 0) {
        free--;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    release(): void {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}

function answerOf(text: string): { answer?: string; message?: string } {
  try {
    const j = JSON.parse(text) as { status?: unknown; error?: { code?: unknown; message?: unknown } };
    if (typeof j?.status === "string") return { answer: j.status };
    if (typeof j?.error?.code === "string") {
      return { answer: j.error.code, ...(typeof j.error.message === "string" ? { message: j.error.message } : {}) };
    }
  } catch {
    /* not JSON */
  }
  const t = text.trim().replace(/\s+/g, " ");
  return t ? { answer: t.length > 60 ? `${t.slice(0, 57)}…` : t } : {};
}

function networkMessage(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? `: ${cause.message}` : ""}`;
  return cause?.message ?? (e instanceof Error ? e.message : String(e));
}

/** The order deliveries start in: as given, shuffled, or shuffled within windows. */
function startOrder(n: number, reorder: boolean | number | undefined, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const window = reorder === true ? n : typeof reorder === "number" && reorder > 1 ? Math.floor(reorder) : 0;
  if (window < 2) return order;
  for (let start = 0; start < n; start += window) {
    const end = Math.min(n, start + window);
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(random() * (i - start + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  }
  return order;
}

/**
 * A local sender that delivers the way Gemini does: signed (v1, v1a or JWT), at least once, retrying every
 * non-2xx answer and every timeout with exponential backoff and jitter for up to 24 h, each attempt
 * re-signed with a fresh timestamp under the same webhook-id. It can inject duplicates and reorder, and
 * reports every attempt.
 *
 *   const sender = createSender({ url, secret, retry: { timeScale: 0.001 } });
 *   const report = await sender.send(fixture("batch.succeeded"));
 */
export function createSender(options: SenderOptions): Sender {
  let url: URL;
  try {
    url = new URL(String(options.url));
  } catch {
    throw new TypeError(`createSender: url is not a valid URL: ${String(options.url)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`createSender: url must be http(s), got ${url.protocol}`);
  const scheme: SenderScheme = options.scheme ?? (options.secret !== undefined ? "v1" : "v1a");
  if (scheme === "v1" && !options.secret) throw new TypeError("createSender: the v1 scheme needs a secret (whsec_…).");
  if (scheme !== "v1" && !options.issuer) throw new TypeError(`createSender: the ${scheme} scheme needs an issuer (createTestIssuer()).`);
  const r = options.retry ?? {};
  checkRange("retry.maxAttempts", r.maxAttempts, 1);
  checkRange("retry.baseDelayMs", r.baseDelayMs, 0);
  checkRange("retry.maxDelayMs", r.maxDelayMs, 0);
  checkRange("retry.jitter", r.jitter, 0, 1);
  checkRange("retry.timeoutMs", r.timeoutMs, 1);
  checkRange("retry.timeScale", r.timeScale, 0);
  checkRange("retry.horizonMs", r.horizonMs, 0);
  checkRange("duplicateRate", options.duplicateRate, 0, 1);
  checkRange("concurrency", options.concurrency, 1);
  const maxAttempts = r.maxAttempts ?? Infinity;
  const baseDelayMs = r.baseDelayMs ?? 5_000;
  const maxDelayMs = r.maxDelayMs ?? 60 * 60 * 1000;
  const jitter = r.jitter ?? 0.25;
  const timeoutMs = r.timeoutMs ?? 10_000;
  const timeScale = r.timeScale ?? 1;
  const horizonMs = r.horizonMs ?? DAY;
  const duplicateRate = options.duplicateRate ?? 0;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const doFetch = options.fetch ?? globalThis.fetch;
  const slots = semaphore(Math.floor(options.concurrency ?? 8));
  const target = url.href;

  const counters = {
    deliveries: 0,
    delivered: 0,
    failed: 0,
    attempts: 0,
    firstAttempts: 0,
    timeouts: 0,
    networkErrors: 0,
    duplicatesSent: 0,
    maxAttempts: 0,
  };
  const answers: Record<string, number> = {};
  const perDelivery: Record<number, number> = {};

  function sign(body: string, event: unknown, id: string): { body: string; headers: Record<string, string> } {
    const timestamp = Math.floor(now() / 1000);
    if (scheme === "v1") return signStatic({ body, secret: options.secret!, id, timestamp });
    if (scheme === "v1a") return options.issuer!.signV1a({ body, id, timestamp });
    return options.issuer!.signJwt({ body, ...(event !== undefined ? { event } : {}), id, timestamp });
  }

  /** The delay before retry number `n` (n ≥ 1), unscaled. */
  function backoff(n: number): number {
    const d = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(n - 1, 52));
    return Math.max(0, Math.round(d * (1 + jitter * (2 * random() - 1))));
  }

  async function attempt(body: string, event: unknown, id: string, n: number, kind: AttemptReport["kind"], delayMs: number): Promise<AttemptReport> {
    await slots.acquire();
    const startedAt = Date.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let report: AttemptReport;
    try {
      const signed = sign(body, event, id);
      const res = await doFetch(target, {
        method: "POST",
        headers: { "user-agent": "gemini-webhooks-sender", ...options.headers, ...signed.headers },
        body: signed.body,
        signal: controller.signal,
        redirect: "manual",
      });
      const text = await res.text();
      const said = answerOf(text);
      report = { n, kind, delayMs, startedAt, durationMs: Date.now() - startedAt, outcome: res.ok ? "ok" : "rejected", status: res.status, ...said };
    } catch (e) {
      const timedOut = controller.signal.aborted;
      report = {
        n,
        kind,
        delayMs,
        startedAt,
        durationMs: Date.now() - startedAt,
        outcome: timedOut ? "timeout" : "network_error",
        message: timedOut ? `no complete answer within ${timeoutMs} ms` : networkMessage(e),
      };
    } finally {
      clearTimeout(timer);
      slots.release();
    }
    const key = report.status !== undefined ? `${report.status}${report.answer ? ` ${report.answer}` : ""}` : report.outcome;
    answers[key] = (answers[key] ?? 0) + 1;
    if (kind === "duplicate") counters.duplicatesSent++;
    else {
      counters.attempts++;
      if (n === 1) counters.firstAttempts++;
      if (report.outcome === "timeout") counters.timeouts++;
      if (report.outcome === "network_error") counters.networkErrors++;
    }
    return report;
  }

  async function deliver(event: unknown, id: string): Promise<DeliveryReport> {
    const body = typeof event === "string" ? event : JSON.stringify(event);
    const parsed = typeof event === "string" ? (() => { try { return JSON.parse(event) as unknown; } catch { return undefined; } })() : event;
    const type = typeof (parsed as { type?: unknown })?.type === "string" ? (parsed as { type: string }).type : "(unknown)";
    const report: DeliveryReport = { id, type, delivered: false, attempts: [], duplicates: [], scheduleMs: 0 };
    counters.deliveries++;
    let delayMs = 0;
    for (let n = 1; ; n++) {
      const a = await attempt(body, parsed, id, n, "delivery", delayMs);
      report.attempts.push(a);
      options.onAttempt?.(a, report);
      if (a.outcome === "ok") {
        report.delivered = true;
        break;
      }
      if (n >= maxAttempts) {
        report.gaveUp = "max_attempts";
        break;
      }
      delayMs = backoff(n);
      if (report.scheduleMs + delayMs > horizonMs) {
        report.gaveUp = "horizon";
        break;
      }
      report.scheduleMs += delayMs;
      await sleep(delayMs * timeScale);
    }
    const n = report.attempts.length;
    counters.maxAttempts = Math.max(counters.maxAttempts, n);
    if (report.delivered) {
      counters.delivered++;
      perDelivery[n] = (perDelivery[n] ?? 0) + 1;
      if (duplicateRate > 0 && random() < duplicateRate) {
        const wait = Math.round(random() * baseDelayMs);
        await sleep(wait * timeScale);
        const d = await attempt(body, parsed, id, n + 1, "duplicate", wait);
        report.duplicates.push(d);
        options.onAttempt?.(d, report);
      }
    } else counters.failed++;
    return report;
  }

  async function sendMany(events: readonly unknown[]): Promise<DeliveryReport[]> {
    const reports = new Array<Promise<DeliveryReport>>(events.length);
    for (const i of startOrder(events.length, options.reorder, random)) reports[i] = deliver(events[i], newMessageId());
    return Promise.all(reports);
  }

  return {
    url: target,
    send: ((events: unknown, opts?: { id?: string }) =>
      Array.isArray(events) ? sendMany(events) : deliver(events, opts?.id ?? newMessageId())) as Sender["send"],
    get stats(): SenderStats {
      return {
        deliveries: counters.deliveries,
        delivered: counters.delivered,
        failed: counters.failed,
        pending: counters.deliveries - counters.delivered - counters.failed,
        attempts: counters.attempts,
        retries: counters.attempts - counters.firstAttempts,
        timeouts: counters.timeouts,
        networkErrors: counters.networkErrors,
        duplicatesSent: counters.duplicatesSent,
        answers: { ...answers },
        attemptsPerDelivery: { ...perDelivery },
        maxAttempts: counters.maxAttempts,
      };
    },
  };
}
