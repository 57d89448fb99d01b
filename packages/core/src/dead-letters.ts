import { GeminiWebhooksConfigError, type SignatureScheme } from "./errors.js";
import type { AnyGeminiEvent } from "./events.js";

/** A delivery whose handlers failed, kept until a later success (or a replay) removes it. */
export interface DeadLetter {
  /** The delivery's idempotency key. */
  id: string;
  event: AnyGeminiEvent;
  ctx: { webhookId: string; timestamp: string; scheme: SignatureScheme; secretIndex?: number; keyId?: string };
  error: { name: string; message: string; code?: string };
  /** How many times it failed. */
  attempts: number;
  /** Epoch ms of the first and the last failure. */
  firstSeen: number;
  lastSeen: number;
}

/** What `record` is given: the entry without its counters. */
export type DeadLetterInput = Omit<DeadLetter, "attempts" | "firstSeen" | "lastSeen">;

/** Where dead letters are kept: memory (core) or Redis (`redisDeadLetters` in @gemini-webhooks/redis). */
export interface DeadLetterStore {
  /** Adds the entry, or updates it (attempts + 1, lastSeen = at, the latest error). */
  record(entry: DeadLetterInput, at: number): void | Promise<void>;
  remove(id: string): void | Promise<void>;
  get(id: string): DeadLetter | undefined | Promise<DeadLetter | undefined>;
  /** Newest failure first. */
  list(options?: { limit?: number }): DeadLetter[] | Promise<DeadLetter[]>;
}

export interface MemoryDeadLettersOptions {
  /** Most entries kept; the one failed longest ago is dropped past it. Default 1,000. */
  maxEntries?: number;
}

/** A bounded in-memory dead-letter list for one process (lost on restart: use redisDeadLetters to keep it). */
export function memoryDeadLetters(options: MemoryDeadLettersOptions = {}): DeadLetterStore & { readonly size: number } {
  const max = options.maxEntries ?? 1000;
  if (typeof max !== "number" || !(max >= 1)) throw new GeminiWebhooksConfigError("memoryDeadLetters.maxEntries", "memoryDeadLetters: maxEntries must be a number ≥ 1.");
  // insertion order = order of the last failure: re-set on every failure, oldest first
  const entries = new Map<string, DeadLetter>();
  return {
    record(entry, at) {
      const old = entries.get(entry.id);
      entries.delete(entry.id);
      entries.set(entry.id, { ...entry, attempts: (old?.attempts ?? 0) + 1, firstSeen: old?.firstSeen ?? at, lastSeen: at });
      if (entries.size > max) entries.delete(entries.keys().next().value!);
    },
    remove(id) {
      entries.delete(id);
    },
    get(id) {
      return entries.get(id);
    },
    list({ limit = Infinity } = {}) {
      return [...entries.values()].reverse().slice(0, limit);
    },
    get size() {
      return entries.size;
    },
  };
}

export function isDeadLetterStore(v: unknown): v is DeadLetterStore {
  const s = v as DeadLetterStore;
  return typeof v === "object" && v !== null && ["record", "remove", "get", "list"].every((m) => typeof (s as unknown as Record<string, unknown>)[m] === "function");
}
