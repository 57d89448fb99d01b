import { createGeminiWebhooks, type GeminiWebhooksOptions } from "@gemini-webhooks/core";
import { signStatic } from "@gemini-webhooks/testing";

export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const NOW_S = 1_800_000_000;
export const clock = (s = NOW_S) => () => s * 1000;

export function receiver(opts: Partial<GeminiWebhooksOptions> = {}) {
  return createGeminiWebhooks({ secret: SECRET, now: clock(), ...opts } as GeminiWebhooksOptions);
}

export function signed(event: unknown = { type: "batch.succeeded", data: { id: "b1", output_file_uri: "gs://x" } }, o: { id?: string; timestamp?: number; secret?: string } = {}) {
  return signStatic({ event, secret: o.secret ?? SECRET, id: o.id ?? "msg_1", timestamp: o.timestamp ?? NOW_S });
}
