import { WebhookVerificationError } from "./errors.js";

function tooLarge(max: number): WebhookVerificationError {
  return new WebhookVerificationError("body_too_large", `The body is over maxBodyBytes (${max} bytes).`);
}

/** Reads a web-standard body, stopping (413) as soon as it passes `max` bytes. */
export async function readLimited(request: { headers: Headers; body: ReadableStream<Uint8Array> | null; arrayBuffer(): Promise<ArrayBuffer> }, max: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > max) throw tooLarge(max);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  return concatChunks(chunks, total);
}

/** One Uint8Array of `total` bytes from the chunks (no copy for a single chunk). */
export function concatChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
