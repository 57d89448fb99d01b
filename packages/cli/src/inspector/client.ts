/**
 * The inspector page's script. It runs in the browser: the server sends `(${inspectorClient})()`, so this
 * function must stay self-contained (no imports, nothing from this module's scope). It fills the page only
 * with textContent and createElement: a payload holding `<script>` shows as text.
 *
 * Server-Sent Events from /events: `hello` (listener info), `delivery` (one record, the old ones first),
 * `resend` (progress of a resend started with POST /resend/<seq>).
 */
// Type-only imports: erased at build time, so the serialized function still has no imports.
import type { DeliveryRecord } from "../listen/record.js";
import type { ResendProgress } from "./resend.js";

export function inspectorClient(): void {
  /** A record as the server sends it: the listener's record plus whether the page may resend it. */
  type Delivery = DeliveryRecord & { resend: { available: boolean; reason?: string } };
  interface Hello {
    instance: string;
    listening: string;
    forward?: string;
    example: string;
  }
  const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
  const list = $<HTMLOListElement>("deliveries");
  const detail = $<HTMLElement>("detail");
  const typeFilter = $<HTMLSelectElement>("filter-type");
  const outcomeFilter = $<HTMLSelectElement>("filter-outcome");
  const count = $<HTMLElement>("count");
  const connection = $<HTMLElement>("connection");

  const deliveries = new Map<number, Delivery>();
  const rows = new Map<number, HTMLLIElement>();
  /** Deliveries of one webhook-id (Gemini's retries, resends), oldest first: shown together with an attempt count. */
  const groups = new Map<string, number[]>();
  const groupOf = new Map<number, string>();
  const resends = new Map<number, string>();
  let instance: string | undefined;
  let selected: number | undefined;
  /** Follow the newest delivery until the user picks one. */
  let follow = true;

  function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function outcomeClass(outcome: string): string {
    if (outcome === "received" || outcome === "ignored" || outcome === "duplicate") return "outcome ok";
    if (outcome === "in_progress") return "outcome warn";
    return "outcome bad";
  }

  /** Pretty JSON with coloured tokens, built from text nodes. */
  function jsonBlock(value: unknown): HTMLPreElement {
    const pre = el("pre", "json");
    const text = JSON.stringify(value, null, 2) ?? String(value);
    const token = /("(?:\\.|[^"\\])*")(\s*:)?|\b(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)\b/g;
    let at = 0;
    for (let m = token.exec(text); m; m = token.exec(text)) {
      if (m.index > at) pre.append(text.slice(at, m.index));
      if (m[1] !== undefined) {
        pre.append(el("span", m[2] ? "j-key" : "j-str", m[1]));
        if (m[2]) pre.append(m[2]);
      } else pre.append(el("span", "j-lit", m[0]));
      at = m.index + m[0].length;
    }
    if (at < text.length) pre.append(text.slice(at));
    return pre;
  }

  /** A body: pretty when it is JSON, else as sent. */
  function bodyBlock(text: string): HTMLPreElement {
    try {
      return jsonBlock(JSON.parse(text));
    } catch {
      return el("pre", "raw", text === "" ? "(empty)" : text);
    }
  }

  function matches(d: Delivery): boolean {
    return (typeFilter.value === "" || (d.type ?? "(unverified)") === typeFilter.value) && (outcomeFilter.value === "" || d.outcome === outcomeFilter.value);
  }

  function addOption(select: HTMLSelectElement, value: string): void {
    if (Array.from(select.options).some((o) => o.value === value)) return;
    const o = el("option", undefined, value);
    o.value = value;
    select.append(o);
  }

  function updateCount(): void {
    const shown = Array.from(deliveries.values()).filter(matches).length;
    const total = `${deliveries.size} ${deliveries.size === 1 ? "delivery" : "deliveries"}`;
    count.textContent = shown === deliveries.size ? total : `${shown} of ${total}`;
  }

  function webhookIdOf(d: Delivery): string | undefined {
    return (d.verification?.ok ? d.verification.webhookId : undefined) ?? d.headers["webhook-id"];
  }

  /** `attempt` and `attempts`: this delivery's place among the deliveries of its webhook-id. */
  function row(d: Delivery, attempt: number, attempts: number): HTMLLIElement {
    const li = el("li", "delivery");
    li.dataset.seq = String(d.seq);
    const webhookId = webhookIdOf(d);
    if (webhookId !== undefined) li.dataset.webhookId = webhookId;
    const id = el("span", "id", `#${d.seq} ${webhookId ?? ""}`);
    if (d.resendOf !== undefined) id.append(" · ", el("span", "tag resend", `resend of #${d.resendOf}`));
    if (attempts > 1) {
      id.append(" · ", el("span", "tag attempt", `attempt ${attempt} of ${attempts}`));
      li.classList.add("in-group");
      if (attempt === attempts) li.classList.add("group-first");
      if (attempt === 1) li.classList.add("group-last");
    }
    li.append(
      el("span", "time", new Date(d.receivedAt).toLocaleTimeString([], { hour12: false })),
      el("span", outcomeClass(d.outcome), `${d.answer.status} ${d.outcome}`),
      el("span", "type", d.type ?? `${d.method} ${d.path}`),
      id,
    );
    li.hidden = !matches(d);
    if (selected === d.seq) li.classList.add("selected");
    li.addEventListener("click", () => {
      follow = false;
      select(d.seq);
    });
    return li;
  }

  function summary(d: Delivery): HTMLDListElement {
    const dl = el("dl", "summary");
    const add = (term: string, value: string | HTMLElement | undefined) => {
      if (value === undefined) return;
      const dd = el("dd");
      dd.append(value);
      dl.append(el("dt", undefined, term), dd);
    };
    const v = d.verification;
    add("Outcome", el("span", outcomeClass(d.outcome), `${d.answer.status} ${d.outcome}`));
    add("Received", `${new Date(d.receivedAt).toLocaleString([], { hour12: false })} · ${d.method} ${d.path}`);
    add("Verification", v ? (v.ok ? "verified" : `rejected: ${v.code} — ${v.message}`) : "not checked");
    add("Scheme", v?.scheme);
    const verified = v?.ok ? v : undefined;
    add("Webhook id", verified?.webhookId ?? d.headers["webhook-id"]);
    add("Timestamp", verified?.timestamp);
    add("Key id", verified?.keyId);
    add("Secret index", verified?.secretIndex !== undefined ? String(verified.secretIndex) : undefined);
    add("Resend of", d.resendOf !== undefined ? `#${d.resendOf}` : undefined);
    return dl;
  }

  async function resend(d: Delivery, fresh: boolean): Promise<void> {
    const pending = fresh ? "sending as a new delivery…" : "resending…";
    resends.set(d.seq, pending);
    render();
    let text: string | undefined;
    try {
      const res = await fetch(`/resend/${d.seq}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ fresh }) });
      const answer = (await res.json()) as { webhookId?: string; error?: string };
      text = res.ok ? `sending ${answer.webhookId}…` : `not resent: ${answer.error ?? res.status}`;
    } catch (e) {
      text = `not resent: ${(e as Error).message}`;
    }
    // the resend's progress may have come first (over /events): keep it
    if (resends.get(d.seq) !== pending) return;
    resends.set(d.seq, text);
    if (selected === d.seq) render();
  }

  function render(): void {
    const d = selected !== undefined ? deliveries.get(selected) : undefined;
    if (!d) return;
    detail.replaceChildren();
    detail.dataset.seq = String(d.seq);
    detail.append(el("h2", undefined, d.type ?? `${d.method} ${d.path}`), summary(d));

    const actions = el("div", "actions");
    const again = el("button", undefined, "Resend");
    again.id = "resend";
    again.title = "Deliver it again under the same webhook-id, with Gemini's retries";
    const fresh = el("button", undefined, "Send as new");
    fresh.id = "resend-new";
    fresh.title = "Deliver the same event under a fresh webhook-id";
    for (const b of [again, fresh]) b.disabled = !d.resend.available;
    again.addEventListener("click", () => void resend(d, false));
    fresh.addEventListener("click", () => void resend(d, true));
    const status = el("span", undefined, resends.get(d.seq) ?? (d.resend.available ? "" : (d.resend.reason ?? "")));
    status.id = "resend-status";
    actions.append(again, fresh, status);
    detail.append(actions);

    if (d.event !== undefined) {
      detail.append(el("h3", undefined, "Event"));
      const pre = jsonBlock(d.event);
      pre.id = "event";
      detail.append(pre);
    } else if (d.method === "POST") {
      detail.append(el("h3", undefined, d.bodyTruncated ? "Body (truncated)" : "Body"));
      const pre = bodyBlock(d.body);
      pre.id = "event";
      detail.append(pre);
    }

    detail.append(el("h3", undefined, "Headers"));
    const table = el("table", "headers");
    table.id = "headers";
    for (const [k, v] of Object.entries(d.headers).sort(([a], [b]) => a.localeCompare(b))) {
      const tr = el("tr");
      tr.append(el("td", undefined, k), el("td", undefined, v));
      table.append(tr);
    }
    detail.append(table);

    detail.append(el("h3", undefined, `Answer to the sender: ${d.answer.status}`));
    const answer = bodyBlock(d.answer.body);
    answer.id = "answer";
    detail.append(answer);

    if (d.forward) {
      const f = d.forward;
      detail.append(el("h3", undefined, f.status !== undefined ? `The app's answer: ${f.status} (${f.durationMs} ms)` : `The app was not reached: ${f.error}`));
      detail.append(el("p", undefined, f.url));
      if (f.body !== undefined) {
        const pre = bodyBlock(f.body);
        pre.id = "app-answer";
        detail.append(pre);
      }
    }
  }

  function select(seq: number): void {
    if (selected !== undefined) rows.get(selected)?.classList.remove("selected");
    selected = seq;
    rows.get(seq)?.classList.add("selected");
    render();
  }

  function add(d: Delivery): void {
    const isNew = !deliveries.has(d.seq);
    deliveries.set(d.seq, d);
    // the group: this delivery's webhook-id (a delivery without one is a group of its own)
    let key = groupOf.get(d.seq);
    if (key === undefined) {
      const webhookId = webhookIdOf(d);
      key = webhookId !== undefined ? `id:${webhookId}` : `seq:${d.seq}`;
      groupOf.set(d.seq, key);
    }
    const seqs = groups.get(key) ?? [];
    if (!seqs.includes(d.seq)) seqs.push(d.seq);
    seqs.sort((a, b) => a - b);
    groups.set(key, seqs);
    // redraw the group's rows (their attempt counts changed); a new delivery brings its group to the top, newest first
    const fresh = seqs.map((seq, i) => {
      const li = row(deliveries.get(seq)!, i + 1, seqs.length);
      const old = rows.get(seq);
      rows.set(seq, li);
      if (old && !isNew) old.replaceWith(li);
      else old?.remove();
      return li;
    });
    if (isNew) list.prepend(...fresh.reverse());
    addOption(typeFilter, d.type ?? "(unverified)");
    addOption(outcomeFilter, d.outcome);
    updateCount();
    if (follow && matches(d)) select(d.seq);
    else if (selected === d.seq) select(d.seq);
  }

  function applyFilters(): void {
    for (const [seq, li] of rows) li.hidden = !matches(deliveries.get(seq)!);
    updateCount();
  }
  typeFilter.addEventListener("change", applyFilters);
  outcomeFilter.addEventListener("change", applyFilters);

  const events = new EventSource("/events");
  events.addEventListener("open", () => {
    connection.textContent = "live";
    connection.className = "up";
  });
  events.addEventListener("error", () => {
    connection.textContent = "disconnected (retrying…)";
    connection.className = "down";
  });
  events.addEventListener("hello", (e) => {
    const h = JSON.parse((e as MessageEvent<string>).data) as Hello;
    if (instance !== undefined && instance !== h.instance) {
      // another listener run: its deliveries are not these
      deliveries.clear();
      rows.clear();
      groups.clear();
      groupOf.clear();
      list.replaceChildren();
      selected = undefined;
      follow = true;
    }
    instance = h.instance;
    $("where").textContent = `listening on ${h.listening}${h.forward ? ` → forwarding to ${h.forward}` : ""}`;
    const hint = document.getElementById("try");
    if (hint) hint.textContent = h.example;
  });
  events.addEventListener("delivery", (e) => add(JSON.parse((e as MessageEvent<string>).data) as Delivery));
  events.addEventListener("resend", (e) => {
    const p = JSON.parse((e as MessageEvent<string>).data) as ResendProgress;
    const said = p.status !== undefined ? `${p.status} ${p.outcome ?? ""}`.trim() : (p.outcome ?? "");
    const text = p.error
      ? `not resent: ${p.error}`
      : p.done
        ? `${p.webhookId}: ${p.delivered ? "delivered" : "gave up"} after ${p.attempt} attempt${p.attempt === 1 ? "" : "s"} (${said})`
        : `${p.webhookId}: attempt ${p.attempt} → ${said}, retrying with backoff…`;
    resends.set(p.seq, text);
    if (selected === p.seq) render();
  });
}
