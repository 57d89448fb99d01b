import type { WebhookResource } from "@gemini-webhooks/genai";
import { parse, str, url as parseUrl, type Parsed } from "./args.js";
import { secretsFromEnv } from "./doctor.js";
import { clientFromEnv } from "./genai.js";
import { CliError, colorsFor, plural, type CliIO } from "./output.js";
import { maskUrl, maskUrls, printable, printableJson } from "./text.js";

/** A registered webhook as the API returns it, with the secret `create` answers once. */
type Webhook = WebhookResource & { new_signing_secret?: string };

/** `ai.webhooks` of @google/genai (2.x): the SDK knows the REST paths, this CLI only calls it. */
interface AdminClient {
  webhooks: {
    list(params?: { page_size?: number; page_token?: string }): Promise<{ webhooks?: Webhook[]; next_page_token?: string }>;
    get(id: string): Promise<Webhook>;
    create(params: { uri: string; subscribed_events: string[]; name?: string }): Promise<Webhook>;
    update(id: string, params: { uri?: string; subscribed_events?: string[]; name?: string; state?: string; update_mask?: string }): Promise<Webhook>;
    delete(id: string): Promise<unknown>;
    ping(id: string, params?: { body?: Record<string, never> }): Promise<unknown>;
    rotateSigningSecret(id: string, params: { revocation_behavior: string }): Promise<{ secret?: string }>;
  };
}

const OPTIONS = {
  url: { type: "string" },
  events: { type: "string" },
  name: { type: "string" },
  state: { type: "string" },
  revoke: { type: "string" },
  json: { type: "boolean" },
} as const;

const ACTIONS = ["list", "get", "create", "update", "delete", "ping", "rotate"] as const;
type Action = (typeof ACTIONS)[number];

/** The most pages `list` follows (100 webhooks each): a server that never stops paging cannot keep it running. */
export const MAX_PAGES = 1000;

const REVOKE: Record<string, string> = {
  immediately: "revoke_previous_secrets_immediately",
  "after-24h": "revoke_previous_secrets_after_h24",
};

function events(p: Parsed): string[] | undefined {
  const v = str(p, "events");
  if (v === undefined) return undefined;
  const list = v.split(",").map((s) => s.trim()).filter(Boolean);
  if (!list.length) throw new CliError("--events takes a comma-separated list of event types, e.g. --events batch.succeeded,batch.failed");
  return list;
}

/** Every registered webhook: follows next_page_token, at most MAX_PAGES pages, stopping on a token seen before. */
export async function listAll(ai: AdminClient): Promise<{ webhooks: Webhook[]; complete: boolean }> {
  const all: Webhook[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await ai.webhooks.list({ page_size: 100, ...(token ? { page_token: token } : {}) });
    all.push(...(res.webhooks ?? []));
    token = res.next_page_token || undefined;
    if (!token) return { webhooks: all, complete: true };
    if (seen.has(token)) return { webhooks: all, complete: false };
    seen.add(token);
  }
  return { webhooks: all, complete: false };
}

function line(w: Webhook): string {
  const secrets = (w.signing_secrets ?? []).map((s) => `${s.truncated_secret ?? "?"}${s.expire_time ? ` (expires ${s.expire_time})` : ""}`);
  return printable(
    maskUrls(`${w.id ?? w.name ?? "?"}  ${w.state ?? "?"}  ${w.uri ?? "?"}  [${(w.subscribed_events ?? []).join(", ")}]${secrets.length ? `  secrets: ${secrets.join(", ")}` : ""}`),
  );
}

/** The API's failure as one line, with what to check; exit 1 (the request was fine, the answer was not). */
function apiError(action: string, e: unknown): CliError {
  const err = e as { status?: number; code?: number; message?: string };
  const status = typeof err?.status === "number" ? err.status : typeof err?.code === "number" ? err.code : undefined;
  const hint = status === 401 || status === 403 ? " (check GEMINI_API_KEY)" : status === 404 ? " (no such webhook: gemini-webhooks webhooks list shows them)" : "";
  const msg = String(err?.message ?? e).split("\n")[0]!.slice(0, 300);
  return new CliError(printable(maskUrls(`webhooks ${action} failed${status !== undefined ? ` (${status})` : ""}: ${msg}${hint}`)), 1);
}

/**
 * `gemini-webhooks webhooks list|get|create|update|delete|ping|rotate`: the project's registered webhooks,
 * through the user's @google/genai client. `create` and `rotate` print the new signing secret exactly once, on
 * stdout, and nowhere else. Exit 0 ok, 1 the API refused or failed, 2 bad usage.
 */
export async function webhooksCommand(args: string[], io: CliIO, showHelp: () => number): Promise<number> {
  const p = parse("webhooks", args, OPTIONS);
  if (p.values.help) return showHelp();
  const [action, ...rest] = p.positionals;
  if (!ACTIONS.includes(action as Action)) {
    throw new CliError(
      action === undefined ? `missing action: ${ACTIONS.join(", ")} (see: gemini-webhooks webhooks --help)` : `unknown action "${printable(action)}": use ${ACTIONS.join(", ")}`,
    );
  }
  const needsId = action !== "list" && action !== "create";
  if (needsId && rest.length !== 1) throw new CliError(`webhooks ${action} takes one webhook id (see: gemini-webhooks webhooks list)`);
  if (!needsId && rest.length) throw new CliError(`webhooks ${action} takes no id, got "${printable(rest.join(" "))}"`);
  const id = rest[0]!;
  const json = p.values.json === true;
  const allowed: Record<Action, string[]> = { list: [], get: [], delete: [], ping: [], create: ["url", "events", "name"], update: ["url", "events", "name", "state"], rotate: ["revoke"] };
  for (const k of ["url", "events", "name", "state", "revoke"]) {
    if (p.values[k] !== undefined && !allowed[action as Action].includes(k)) throw new CliError(`--${k} does not apply to webhooks ${action}`);
  }
  const out = colorsFor(io.stdout, io.env);
  const print = (text: string) => io.stdout.write(`${text}\n`);
  const printJson = (value: unknown) => io.stdout.write(`${printableJson(maskUrls(JSON.stringify(value, null, 2)))}\n`);

  // usage checks before any client is made
  let createParams: { uri: string; subscribed_events: string[]; name?: string } | undefined;
  let updateParams: { uri?: string; subscribed_events?: string[]; name?: string; state?: string; update_mask?: string } | undefined;
  let revoke: string | undefined;
  if (action === "create") {
    const u = str(p, "url");
    const ev = events(p);
    if (u === undefined) throw new CliError("webhooks create needs --url (where Gemini delivers, e.g. https://my.app/gemini-callback)");
    if (!ev) throw new CliError("webhooks create needs --events (e.g. --events batch.succeeded,batch.failed)");
    const name = str(p, "name");
    createParams = { uri: parseUrl(u), subscribed_events: ev, ...(name !== undefined ? { name } : {}) };
  } else if (action === "update") {
    const state = str(p, "state");
    if (state !== undefined && state !== "enabled" && state !== "disabled") throw new CliError(`--state must be enabled or disabled, got "${printable(state)}"`);
    const u = str(p, "url");
    const ev = events(p);
    const name = str(p, "name");
    const body = { ...(u !== undefined ? { uri: parseUrl(u) } : {}), ...(ev ? { subscribed_events: ev } : {}), ...(name !== undefined ? { name } : {}), ...(state ? { state } : {}) };
    if (!Object.keys(body).length) throw new CliError("webhooks update needs something to change: --url, --events, --name or --state");
    updateParams = { ...body, update_mask: Object.keys(body).join(",") };
  } else if (action === "rotate") {
    const r = str(p, "revoke");
    if (r === undefined || !(r in REVOKE)) throw new CliError(`webhooks rotate needs --revoke immediately|after-24h${r !== undefined ? `, got "${printable(r)}"` : ""}`);
    revoke = r;
  }

  const ai = await clientFromEnv<AdminClient>(`webhooks ${action}`, io.env);
  if (typeof ai.webhooks?.list !== "function") throw new CliError("this @google/genai has no webhooks API (ai.webhooks): upgrade @google/genai to 2.x", 1);
  const call = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw apiError(action!, e);
    }
  };

  switch (action as Action) {
    case "list": {
      const { webhooks, complete } = await call(() => listAll(ai));
      if (!complete) io.stderr.write(`warning: the listing did not end (a repeated page token, or over ${MAX_PAGES} pages): showing the first ${webhooks.length}\n`);
      if (json) printJson({ webhooks, complete });
      else if (!webhooks.length) print("no webhooks registered");
      else {
        print(`${plural(webhooks.length, "webhook")}:`);
        for (const w of webhooks) print(`  ${line(w)}`);
      }
      return complete ? 0 : 1;
    }
    case "get": {
      const w = await call(() => ai.webhooks.get(id));
      if (json) printJson(w);
      else print(line(w));
      return 0;
    }
    case "delete": {
      await call(() => ai.webhooks.delete(id));
      if (json) printJson({ deleted: id });
      else print(`deleted ${printable(id)}`);
      return 0;
    }
    case "ping": {
      await call(() => ai.webhooks.ping(id, { body: {} }));
      if (json) printJson({ pinged: id });
      else print(`asked Gemini to send a ping to ${printable(id)}; watch your endpoint (or gemini-webhooks listen) for it`);
      return 0;
    }
    case "update": {
      const w = await call(() => ai.webhooks.update(id, updateParams!));
      if (json) printJson(w);
      else print(`updated ${line(w)}`);
      return 0;
    }
    case "create": {
      const w = await call(() => ai.webhooks.create(createParams!));
      const secret = w.new_signing_secret;
      if (json) {
        printJson(w);
        return 0;
      }
      const { new_signing_secret: _shown, ...rest } = w;
      print(`created ${line(rest)}`);
      if (secret) {
        print(`signing secret (shown only this once; keep it as the app's GEMINI_WEBHOOK_SECRET):`);
        print(`  ${printable(secret)}`);
      } else io.stderr.write("warning: the API returned no new_signing_secret: rotate one with gemini-webhooks webhooks rotate\n");
      return 0;
    }
    case "rotate": {
      const current = secretsFromEnv(io.env) ?? [];
      const rotated = await call(() => ai.webhooks.rotateSigningSecret(id, { revocation_behavior: REVOKE[revoke!]! }));
      const secret = rotated.secret;
      if (!secret) throw new CliError(`webhooks rotate: the API answered without the new secret; run gemini-webhooks webhooks get ${printable(id)} to see the webhook's secrets`, 1);
      const immediate = revoke === "immediately";
      // when the old secret stops working: the API's own expire_time when it shows one, else the rule's
      let expires = immediate ? new Date() : new Date(Date.now() + 24 * 3600_000);
      let webhook: Webhook | undefined;
      if (!immediate) {
        webhook = await ai.webhooks.get(id).catch(() => undefined);
        const times = (webhook?.signing_secrets ?? []).map((s) => Date.parse(s.expire_time ?? "")).filter((t) => Number.isFinite(t));
        if (times.length) expires = new Date(Math.max(...times));
      }
      const secrets = immediate ? [secret] : [secret, ...current.filter((s) => s !== secret)];
      const config = `GEMINI_WEBHOOK_SECRET=${secrets.join(",")}`;
      if (json) {
        printJson({ id, secret, previous: immediate ? [] : current.filter((s) => s !== secret), previousExpiresAt: expires.toISOString(), revoke });
        return 0;
      }
      print(`rotated the signing secret of ${printable(id)}; the new one is in the config below, shown only this once.`);
      print("");
      print(`  ${printable(config)}`);
      print("");
      if (immediate) {
        print(`the previous secret stopped working now (${expires.toISOString()}): deploy the config above at once.`);
      } else {
        print(`your receiver accepts both while the previous secret lasts:`);
        print(`  createGeminiWebhooks({ secret: process.env.GEMINI_WEBHOOK_SECRET.split(","), … })`);
        print(`the previous secret expires at ${out.bold(expires.toISOString())}${webhook ? "" : " (24 h from now)"}: deploy the config before then,`);
        print(`confirm with: gemini-webhooks doctor --url ${printable(maskUrl(webhook?.uri ?? "<your endpoint>"))} --app <your module>`);
        print(`and after it, keep the new secret alone.`);
        if (!current.length) io.stderr.write("note: GEMINI_WEBHOOK_SECRET was not set, so the config above holds only the new secret: add the current one to keep it valid until then\n");
      }
      return 0;
    }
  }
  return 0;
}
