// Stand-in for core's dead-letter types until they land in @gemini-webhooks/core (docs/architecture.md).
import type { AnyGeminiEvent, SignatureScheme } from "@gemini-webhooks/core";

export interface DeadLetter {
  id: string;
  event: AnyGeminiEvent;
  ctx: { webhookId: string; timestamp: string; scheme: SignatureScheme; secretIndex?: number; keyId?: string };
  error: { name: string; message: string; code?: string };
  attempts: number;
  firstSeen: number;
  lastSeen: number;
}

export interface DeadLetterStore {
  record(entry: Omit<DeadLetter, "attempts" | "firstSeen" | "lastSeen">, at: number): void | Promise<void>;
  remove(id: string): void | Promise<void>;
  get(id: string): DeadLetter | undefined | Promise<DeadLetter | undefined>;
  list(options?: { limit?: number }): DeadLetter[] | Promise<DeadLetter[]>;
}
