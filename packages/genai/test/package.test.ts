// The built @gemini-webhooks/genai loads from CommonJS (NestJS/Jest apps) and from ESM, and streams results.
import { createRequire } from "node:module";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ensureBuilt } from "../../../test/support/build.js";
import { resultLine, startGeminiApi, type GeminiApi } from "../../../test/support/gemini-api.js";

const require = createRequire(import.meta.url);
const dist = new URL("../dist/", import.meta.url).pathname;
let api: GeminiApi;
beforeAll(async () => {
  ensureBuilt("core", "genai");
  api = await startGeminiApi();
  api.files.set("files/cjs-out", resultLine("a", "A") + resultLine("b", "B"));
});
afterAll(() => api?.close());

async function keys(genai: { batchResults: (ai: unknown, e: unknown) => AsyncIterable<{ key: string }> }, ai: unknown) {
  const out: string[] = [];
  for await (const l of genai.batchResults(ai, { type: "batch.succeeded", data: { id: "batches/x", output_file_uri: "files/cjs-out" } })) out.push(l.key);
  return out;
}

it("require() and import() of the build both stream results, by the client's HTTP layer and by the temp-file fallback", async () => {
  const cjs = require(`${dist}index.cjs`);
  const esm = await import(`${dist}index.js`);
  const ai = api.client();
  for (const genai of [cjs, esm]) {
    expect(await keys(genai, ai)).toEqual(["a", "b"]);
    expect(await keys(genai, { batches: ai.batches, files: ai.files })).toEqual(["a", "b"]);
    expect(new genai.GenaiError("not_ready", "x").code).toBe("not_ready");
  }
});
