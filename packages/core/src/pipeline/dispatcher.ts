import { GeminiWebhooksConfigError } from "../errors.js";
import type { AnyGeminiEvent } from "../events.js";
import type { HandlerMap, WebhookContext, WebhookHandler } from "../receiver/types.js";
import type { Observation } from "./hooks.js";

const NONE: readonly WebhookHandler<any, any>[] = Object.freeze([]);

/** Handlers per event type, `"*"` for all. Several handlers per type run concurrently; all must settle. */
export class Dispatcher {
  private readonly handlers = new Map<string, WebhookHandler<any, any>[]>();

  constructor(on?: HandlerMap<any, any>) {
    if (on) {
      for (const type of Object.keys(on)) {
        const h = (on as Record<string, WebhookHandler<any, any> | WebhookHandler<any, any>[] | undefined>)[type];
        if (h === undefined) continue;
        for (const fn of Array.isArray(h) ? h : [h]) this.add(type, fn);
      }
    }
  }

  add(type: string, handler: WebhookHandler<any, any>): () => void {
    if (typeof type !== "string" || type === "") throw new GeminiWebhooksConfigError("on", "on(type, handler): type must be an event type such as \"batch.succeeded\", or \"*\".");
    if (typeof handler !== "function") throw new GeminiWebhooksConfigError("on", `on("${type}", …): the handler must be a function.`);
    // the lists are never changed in place (a new one on every add and remove), so handlersFor can hand
    // out the list itself: a handler that removes itself while the list is being run changes nothing there
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), handler]);
    return () => {
      const l = this.handlers.get(type);
      const i = l ? l.indexOf(handler) : -1;
      if (l && i >= 0) this.handlers.set(type, l.slice(0, i).concat(l.slice(i + 1)));
    };
  }

  /** The handlers an event of `type` reaches: its own, then the `"*"` ones (a list never changed afterwards: read it, do not change it). */
  handlersFor(type: string): readonly WebhookHandler<any, any>[] {
    const own = this.handlers.get(type);
    const all = this.handlers.get("*");
    if (!own || own.length === 0) return all ?? NONE;
    if (!all || all.length === 0) return own;
    return own.concat(all);
  }

  /** Runs every handler for the event (each inside the observers' wrappers); rejects (after all settle) if any threw. */
  async dispatch(event: AnyGeminiEvent<any>, ctx: WebhookContext, list = this.handlersFor(event.type), obs?: Observation): Promise<number> {
    if (list.length === 0) return 0;
    const call = obs?.wraps
      ? (h: WebhookHandler<any, any>, index: number) => obs.handler({ event, ctx, index, name: h.name || "anonymous" }, async () => h(event, ctx))
      : async (h: WebhookHandler<any, any>) => h(event, ctx);
    if (list.length === 1) {
      await call(list[0]!, 0);
      return 1;
    }
    const results = await Promise.allSettled(list.map((h, i) => call(h, i)));
    const errors = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason);
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} handlers for ${event.type} failed`);
    return list.length;
  }
}
