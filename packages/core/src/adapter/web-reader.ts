import { ClientAbortError, WebhookVerificationError } from "../errors.js";
import { concatChunks } from "../lib/bytes.js";
import { bodyTimeout, bodyTooLarge } from "./messages.js";

/**
 * Reads a web-standard body, stopping (413) as soon as it passes `max` bytes, and (408) when the whole body
 * has not arrived within `timeoutMs`.
 */
export async function readLimited(request: { headers: Headers; body: ReadableStream<Uint8Array> | null; signal?: AbortSignal }, max: number, timeoutMs = 30_000): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > max) throw bodyTooLarge(max);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(bodyTimeout(timeoutMs)), timeoutMs);
  });
  timeout.catch(() => undefined);
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await Promise.race([reader.read(), timeout]);
      } catch (e) {
        if (e instanceof WebhookVerificationError) throw e;
        throw new ClientAbortError();
      }
      if (step.done) break;
      total += step.value.byteLength;
      if (total > max) throw bodyTooLarge(max);
      chunks.push(step.value);
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return concatChunks(chunks, total);
}
