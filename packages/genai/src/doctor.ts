import { GEMINI_EVENT_TYPES } from "@gemini-webhooks/core";
import { GenaiError, statusOf } from "./errors.js";
import { withRetry, type RetryOptions } from "./retry.js";

/** A registered (static) webhook as the Gemini API's WebhookService returns it. */
export interface WebhookResource {
  id?: string;
  name?: string;
  uri?: string;
  subscribed_events?: string[];
  /** `enabled`, `disabled` or `disabled_due_to_failed_deliveries`. */
  state?: string;
  signing_secrets?: Array<{ truncated_secret?: string; expire_time?: string }>;
  create_time?: string;
  update_time?: string;
}

/** The `GoogleGenAI` surface doctor uses (`ai.webhooks`, @google/genai ≥ the release with the webhooks API). */
export interface WebhooksClient {
  webhooks: {
    list(params?: { page_size?: number; page_token?: string }): Promise<{ webhooks?: WebhookResource[]; next_page_token?: string }>;
  };
}

/** What the app handles: a receiver (`createGeminiWebhooks`), its options, or an `on` handler map. */
export type AppHandlers = { hasHandlers(type: string): boolean } | { on?: Record<string, unknown> } | Record<string, unknown>;

export interface DoctorOptions {
  ai: WebhooksClient;
  /** The URL Gemini should deliver to (the app's webhook route). */
  url: string;
  /** The signing secret(s) the app verifies with (e.g. GEMINI_WEBHOOK_SECRET). */
  secret?: string | readonly string[];
  /** What the app handles, to compare with the subscribed events. */
  app?: AppHandlers;
  /** Clock, epoch ms (secret expiry). Default Date.now. */
  now?: () => number;
  /** Retries of the listing on 429/5xx (default: up to 20 s of backoff). */
  retry?: RetryOptions;
}

export type FindingLevel = "ok" | "info" | "warn" | "error";

/** One thing doctor checked, with what to do when it is not ok. */
export interface Finding {
  level: FindingLevel;
  code: string;
  message: string;
  webhookId?: string;
}

export interface DoctorReport {
  /** No finding at level "error". */
  ok: boolean;
  url: string;
  webhooks: WebhookResource[];
  /** The registered webhooks that point at `url`. */
  matching: WebhookResource[];
  findings: Finding[];
}

/** Event types a static webhook can subscribe to (Gemini's WebhookService). */
export const SUBSCRIBABLE_EVENTS = [
  "batch.succeeded",
  "batch.expired",
  "batch.failed",
  "interaction.requires_action",
  "interaction.completed",
  "interaction.failed",
  "video.generated",
] as const;

const PROBE_TYPE = "gemini-webhooks.doctor.probe";

/** Normalised for comparison: lower-case scheme and host, default port dropped, no trailing slash. */
function normalizeUrl(url: string): string | undefined {
  try {
    const u = new URL(url);
    const path = u.pathname.replace(/\/+$/, "");
    return `${u.protocol}//${u.host}${path}${u.search}`;
  } catch {
    return undefined;
  }
}

async function listAll(ai: WebhooksClient, retry: RetryOptions): Promise<WebhookResource[]> {
  const all: WebhookResource[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const params = { page_size: 100, ...(token ? { page_token: token } : {}) };
    const res = await withRetry("Listing the webhooks", () => ai.webhooks.list(params), { maxWaitMs: 20_000, ...retry });
    all.push(...(res.webhooks ?? []));
    token = res.next_page_token || undefined;
    // a token seen before would page forever: what was listed is all there is to check
    if (!token || seen.has(token)) return all;
    seen.add(token);
  }
  return all;
}

/** Which event types the app handles, and whether it has a catch-all. */
function handledBy(app: AppHandlers): { types: Set<string>; catchAll: boolean } {
  if (typeof (app as { hasHandlers?: unknown }).hasHandlers === "function") {
    const has = (t: string) => (app as { hasHandlers(type: string): boolean }).hasHandlers(t);
    const catchAll = has(PROBE_TYPE);
    return { types: new Set(catchAll ? [] : GEMINI_EVENT_TYPES.filter(has)), catchAll };
  }
  const map = ((app as { on?: unknown }).on ?? app) as Record<string, unknown>;
  const keys = Object.keys(map).filter((k) => map[k] !== undefined && map[k] !== null);
  return { types: new Set(keys.filter((k) => k !== "*")), catchAll: keys.includes("*") };
}

const MASK = /\*+|…+|\.{3,}/;

/**
 * Whether a secret is the one a `truncated_secret` shows: the visible start and end must match (with or
 * without the `whsec_` prefix). Undefined when too little is visible to tell.
 */
export function secretMatchesTruncated(secret: string, truncated: string): boolean | undefined {
  const s = secret.trim();
  const m = MASK.exec(truncated);
  let prefix: string;
  let suffix: string;
  if (!m) {
    if (truncated.length >= s.length || truncated.length === s.replace(/^whsec_/, "").length) return truncated === s || truncated === s.replace(/^whsec_/, "");
    prefix = truncated;
    suffix = "";
  } else {
    prefix = truncated.slice(0, m.index);
    const tail = truncated.slice(m.index);
    const last = /(?:\*+|…+|\.{3,})([^*…]*)$/.exec(tail);
    suffix = last ? last[1]! : "";
  }
  const visible = prefix.replace(/^whsec_/, "").length + suffix.length;
  if (visible < 4) return undefined;
  const candidates = [s, s.replace(/^whsec_/, ""), s.startsWith("whsec_") ? s : `whsec_${s}`];
  return candidates.some((c) => c.length >= prefix.length + suffix.length && c.startsWith(prefix) && c.endsWith(suffix));
}

/**
 * Checks the registered webhooks against what the app expects: one points at `url`, its `state` (what to
 * do when Gemini disabled it), its subscribed events against the app's handlers, and whether the signing
 * secret the app has is one of the webhook's (when the API shows enough of it to tell).
 */
export async function doctor(options: DoctorOptions): Promise<DoctorReport> {
  const { ai, url } = options;
  if (typeof ai?.webhooks?.list !== "function") {
    throw new GenaiError("configuration", "This @google/genai client has no webhooks API (ai.webhooks.list): upgrade @google/genai to a release that has it (2.x).");
  }
  const target = normalizeUrl(url);
  if (!target) throw new GenaiError("configuration", `"${url}" is not an absolute URL (e.g. https://my.app/gemini-callback).`);
  const now = options.now ?? Date.now;
  const findings: Finding[] = [];
  const add = (level: FindingLevel, code: string, message: string, webhookId?: string) =>
    findings.push({ level, code, message, ...(webhookId !== undefined ? { webhookId } : {}) });

  let webhooks: WebhookResource[];
  try {
    webhooks = await listAll(ai, options.retry ?? {});
  } catch (e) {
    const status = statusOf(e);
    if (status === 401 || status === 403) {
      throw new GenaiError("unauthorized", `The Gemini API answered ${status} to listing webhooks: check GEMINI_API_KEY (a key of the project whose webhooks you want to check).`, { status, cause: e });
    }
    if (e instanceof GenaiError) throw e;
    throw new GenaiError("unavailable", `Could not list the registered webhooks: ${(e as Error)?.message ?? e}`, { ...(status !== undefined ? { status } : {}), cause: e });
  }

  const matching = webhooks.filter((w) => typeof w.uri === "string" && normalizeUrl(w.uri) === target);
  const label = (w: WebhookResource) => w.id ?? w.name ?? w.uri ?? "?";

  if (matching.length === 0) {
    const u = new URL(url);
    const near = webhooks.filter((w) => {
      try {
        const v = new URL(w.uri ?? "");
        return v.host.toLowerCase() === u.host.toLowerCase() || v.pathname.replace(/\/+$/, "") === u.pathname.replace(/\/+$/, "");
      } catch {
        return false;
      }
    });
    const hint = near.length ? ` Close ones: ${near.map((w) => `${label(w)} → ${w.uri}`).join(", ")} (check the scheme, host and path).` : "";
    add(
      "error",
      "url_not_registered",
      `No registered webhook points at ${url} (${webhooks.length} registered).${hint} Create one: ai.webhooks.create({ uri: "${url}", subscribed_events: [...] }), and keep its new_signing_secret as GEMINI_WEBHOOK_SECRET. (Per-job webhook_config URIs are not listed here.)`,
    );
  } else {
    add("ok", "url_registered", `${matching.length === 1 ? "Webhook" : `${matching.length} webhooks`} ${matching.map(label).join(", ")} point${matching.length === 1 ? "s" : ""} at ${url}.`);
    if (matching.length > 1) {
      add(
        "warn",
        "several_webhooks",
        `${matching.length} webhooks point at ${url}: each job outcome is delivered once per webhook, under different webhook-ids. Delete the extra ones, or create the receiver with dedupeBy: "event" so each outcome runs once.`,
      );
    }
  }

  const app = options.app ? handledBy(options.app) : undefined;
  const secrets = (typeof options.secret === "string" ? [options.secret] : [...(options.secret ?? [])]).map((s) => s.trim()).filter((s) => s !== "");

  for (const w of matching) {
    const id = label(w);
    switch (w.state) {
      case "enabled":
        add("ok", "state_enabled", `${id} is enabled.`, id);
        break;
      case "disabled_due_to_failed_deliveries":
        add(
          "error",
          "state_disabled_due_to_failed_deliveries",
          `${id} was disabled by Gemini after failed deliveries: nothing is delivered to it. Make the endpoint answer 2xx (try: gemini-webhooks trigger batch.succeeded --url ${url}), ` +
            `re-enable it with ai.webhooks.update("${w.id ?? id}", { state: "enabled" }), then run reconcile() from @gemini-webhooks/genai to process the job outcomes missed meanwhile.`,
          id,
        );
        break;
      case "disabled":
        add("error", "state_disabled", `${id} is disabled: nothing is delivered to it. Re-enable it with ai.webhooks.update("${w.id ?? id}", { state: "enabled" }).`, id);
        break;
      default:
        add("warn", "state_unknown", `${id} is in state ${w.state === undefined ? "(none given)" : JSON.stringify(w.state)}; expected "enabled".`, id);
    }

    const subscribed = new Set(w.subscribed_events ?? []);
    if (subscribed.size === 0) add("error", "no_events", `${id} is subscribed to no events: add subscribed_events with ai.webhooks.update.`, id);
    if (app) {
      const unhandled = [...subscribed].filter((t) => !app.catchAll && !app.types.has(t));
      if (unhandled.length) {
        add("warn", "event_not_handled", `${id} sends ${unhandled.join(", ")}, which the app has no handler for (answered "ignored"). Add handlers, or unsubscribe.`, id);
      }
      const missing = [...app.types].filter((t) => !subscribed.has(t) && (SUBSCRIBABLE_EVENTS as readonly string[]).includes(t));
      if (missing.length) {
        add("warn", "handler_not_subscribed", `The app handles ${missing.join(", ")}, but ${id} is not subscribed to ${missing.length === 1 ? "it" : "them"}: add to subscribed_events with ai.webhooks.update.`, id);
      }
      const unsubscribable = [...app.types].filter((t) => !(SUBSCRIBABLE_EVENTS as readonly string[]).includes(t));
      if (unsubscribable.length) {
        add(
          "info",
          "event_not_subscribable",
          `The app handles ${unsubscribable.join(", ")}, which a static webhook cannot subscribe to (batch.completed is an alias seen in Gemini's examples; reconcile() dispatches batch.cancelled).`,
          id,
        );
      }
      if (!unhandled.length && !missing.length) add("ok", "events_ok", `${id}'s events (${[...subscribed].join(", ")}) all have handlers.`, id);
    } else {
      add("info", "events", `${id} is subscribed to ${[...subscribed].join(", ") || "nothing"} (pass the app's module to compare with its handlers).`, id);
    }

    checkSecret(w, id, secrets, now(), add);
  }

  return { ok: !findings.some((f) => f.level === "error"), url, webhooks, matching, findings };
}

function checkSecret(w: WebhookResource, id: string, secrets: string[], now: number, add: (level: FindingLevel, code: string, message: string, webhookId?: string) => void): void {
  const byHand = `Check by hand: the secret must be the new_signing_secret returned when ${id} was created or last rotated; if it is lost, rotate it (ai.webhooks.rotateSigningSecret("${w.id ?? id}", { revocation_behavior: "revoke_previous_secrets_after_h24" })) and set the new one.`;
  if (secrets.length === 0) {
    add("warn", "secret_missing", `No signing secret in the environment (GEMINI_WEBHOOK_SECRET): the app cannot verify ${id}'s deliveries.`, id);
    return;
  }
  const known = (w.signing_secrets ?? []).filter((s) => typeof s.truncated_secret === "string" && s.truncated_secret !== "");
  if (known.length === 0) {
    add("info", "secret_unknown", `The API shows none of ${id}'s signing secrets, so doctor cannot tell whether GEMINI_WEBHOOK_SECRET is one. ${byHand}`, id);
    return;
  }
  // During a rotation the webhook has the new secret and the old one (with its expire_time), and the app
  // holds both: each of the webhook's secrets is checked, and the env must hold one that lasts.
  let undecided = false;
  const matched: Array<{ truncated: string; expires: number; raw?: string }> = [];
  for (const s of known) {
    const verdicts = secrets.map((secret) => secretMatchesTruncated(secret, s.truncated_secret!));
    if (verdicts.includes(true)) matched.push({ truncated: s.truncated_secret!, expires: s.expire_time ? Date.parse(s.expire_time) : NaN, raw: s.expire_time });
    else if (verdicts.includes(undefined)) undecided = true;
  }
  if (matched.length) {
    const lasting = matched.filter((m) => !Number.isFinite(m.expires));
    const expiring = matched.filter((m) => Number.isFinite(m.expires) && m.expires > now);
    const expired = matched.filter((m) => Number.isFinite(m.expires) && m.expires <= now);
        if (lasting.length && expiring.length) {
      add(
        "ok",
        "secret_rotation_ready",
        `The secrets in the environment match ${id}'s new signing secret ${lasting[0]!.truncated} and its previous one ${expiring.map((m) => `${m.truncated} (expires ${m.raw})`).join(", ")}: deliveries verify before and after the old one expires; after that, keep the new one alone.`,
        id,
      );
    } else if (lasting.length) {
      add("ok", "secret_matches", `The secret in the environment matches ${id}'s signing secret ${lasting[0]!.truncated}.`, id);
    } else if (expiring.length) {
      add("warn", "secret_expiring", `The secret in the environment matches ${id}'s secret ${expiring[0]!.truncated}, which expires at ${expiring[0]!.raw} (a rotation is under way): deploy the new secret before then.`, id);
    } else {
      add("error", "secret_expired", `The secret in the environment matches ${id}'s secret ${expired[0]!.truncated}, which expired at ${expired[0]!.raw}: set the current one.`, id);
    }
    return;
  }
  if (undecided) {
    add("info", "secret_unknown", `${id}'s signing secrets show too little (${known.map((s) => s.truncated_secret).join(", ")}) to compare. ${byHand}`, id);
    return;
  }
  add(
    "error",
    "secret_mismatch",
    `The secret in the environment is none of ${id}'s signing secrets (${known.map((s) => s.truncated_secret).join(", ")}): every delivery will fail with signature_mismatch. Set GEMINI_WEBHOOK_SECRET to the webhook's secret, or rotate it and deploy the new one.`,
    id,
  );
}

const MARK: Record<FindingLevel, string> = { ok: "✓", info: "·", warn: "!", error: "✗" };

/** The report as text, one line per finding, then a summary line. */
export function formatDoctorReport(report: DoctorReport): string {
  const lines = [`Registered webhooks: ${report.webhooks.length}`];
  for (const w of report.webhooks) lines.push(`  ${w.id ?? w.name ?? "?"}  ${w.state ?? "?"}  ${w.uri ?? "?"}  [${(w.subscribed_events ?? []).join(", ")}]`);
  lines.push("", `Checks for ${report.url}:`);
  for (const f of report.findings) lines.push(`  ${MARK[f.level]} ${f.message}`);
  const errors = report.findings.filter((f) => f.level === "error").length;
  const warnings = report.findings.filter((f) => f.level === "warn").length;
  lines.push("", report.ok ? `OK${warnings ? ` (${warnings} warning${warnings === 1 ? "" : "s"})` : ""}` : `${errors} problem${errors === 1 ? "" : "s"} to fix`);
  return `${lines.join("\n")}\n`;
}
