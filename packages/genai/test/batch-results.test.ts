// batchResults and the video helpers, with the real @google/genai client against the local Gemini API.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AnyGeminiEvent, BatchCompletedEvent, BatchSucceededEvent, GeminiWebhookEvent, VideoGeneratedEvent } from "@gemini-webhooks/core";
import { batchResults, downloadVideo, GenaiError, resultText, videoFile, type BatchResultLine, type GenAIClient } from "@gemini-webhooks/genai";
import { resultLine, startGeminiApi, type GeminiApi } from "../../../test/support/gemini-api.js";

let api: GeminiApi;
let tmp: string;
beforeAll(async () => {
  api = await startGeminiApi();
  tmp = mkdtempSync(join(tmpdir(), "gw-genai-"));
});
afterAll(async () => {
  await api.close();
  rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => api.reset());

/** Records the backoff delays instead of waiting them out (the retry policy is what is under test). */
function recordingSleep() {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const MB = 1024 * 1024;

/** V8's collector, made callable (the test runs without --expose-gc). */
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/**
 * Peak growth over a baseline taken when it is made: of the memory still held after a full collection (the
 * JS heap plus what buffers hold outside it: what a reader that kept the data would grow), and of the RSS.
 */
function memoryMeter() {
  const used = (m: NodeJS.MemoryUsage) => m.heapUsed + m.external;
  gc();
  const base = process.memoryUsage();
  let peakHeap = used(base);
  let peakRss = base.rss;
  return {
    sample() {
      gc();
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, used(m));
      peakRss = Math.max(peakRss, m.rss);
    },
    growth: () => ({ heapGrowth: (peakHeap - used(base)) / MB, rssGrowth: (peakRss - base.rss) / MB }),
  };
}

const succeeded = (id: string, output_file_uri: string) => ({ type: "batch.succeeded" as const, data: { id, output_file_uri } });

describe("batchResults", () => {
  it("streams typed lines from the file named by output_file_uri, responses and errors alike", async () => {
    api.files.set(
      "files/batch-out1",
      resultLine("req-1", "first") + `${JSON.stringify({ key: "req-2", error: { code: 400, message: "bad request", status: "INVALID_ARGUMENT" } })}\r\n` + "\n" + resultLine("req-3", "third").trimEnd(),
    );
    const lines = await collect(batchResults(api.client(), succeeded("batches/b1", "files/batch-out1")));
    expect(lines.map((l) => [l.key, l.index, l.response ? "response" : "error"])).toEqual([
      ["req-1", 0, "response"],
      ["req-2", 1, "error"],
      ["req-3", 2, "response"],
    ]);
    expect(resultText(lines[0]!)).toBe("first");
    expect(lines[1]!.error).toEqual({ code: 400, message: "bad request", status: "INVALID_ARGUMENT" });
    // Through the client: the SDK's own download request, with its API key header.
    expect(api.requests.map((r) => `${r.path}?alt=${r.query.alt}`)).toEqual(["/v1beta/files/batch-out1:download?alt=media"]);
  });

  it("accepts the output file as a bare id or a Gemini files URL", async () => {
    api.files.set("files/abc-1", resultLine("k", "x"));
    for (const uri of ["abc-1", `${api.baseUrl}/v1beta/files/abc-1`, `https://generativelanguage.googleapis.com/download/v1beta/files/abc-1:download?alt=media`]) {
      expect((await collect(batchResults(api.client(), succeeded("batches/b", uri)))).map((l) => l.key)).toEqual(["k"]);
    }
  });

  it("looks the file up on the job when output_file_uri is not a Gemini file (gs://), waiting while the job is not done", async () => {
    const job = api.addBatch({ name: "batches/b2", state: "BATCH_STATE_RUNNING" });
    api.files.set("files/batch-b2", resultLine("a", "A") + resultLine("b", "B"));
    const { delays, sleep } = recordingSleep();
    let polls = 0;
    const sleepThenFinish = async (ms: number) => {
      await sleep(ms);
      if (++polls === 2) Object.assign(job, { state: "BATCH_STATE_SUCCEEDED", responsesFile: "files/batch-b2", endTime: new Date().toISOString() });
    };
    const lines = await collect(batchResults(api.client(), succeeded("b2", "gs://bucket/out.jsonl"), { sleep: sleepThenFinish, initialDelayMs: 100 }));
    expect(lines.map((l) => l.key)).toEqual(["a", "b"]);
    expect(delays).toEqual([100, 200]);
    expect(api.requests.map((r) => r.path)).toEqual(["/v1beta/batches/b2", "/v1beta/batches/b2", "/v1beta/batches/b2", "/v1beta/files/batch-b2:download"]);
  });

  it("a batch id from the event stays one path segment: ?, # and / are encoded, . and .. refused", async () => {
    api.addBatch({ name: "batches/b9", state: "BATCH_STATE_SUCCEEDED", responsesFile: "files/batch-b9" });
    api.files.set("files/batch-b9", resultLine("a", "A"));
    await expect(collect(batchResults(api.client(), succeeded("b9?alt=media#x", "gs://bucket/out.jsonl"), { maxWaitMs: 0 }))).rejects.toThrow();
    expect(api.requests.map((r) => r.path)).toEqual(["/v1beta/batches/b9%3Falt%3Dmedia%23x"]);
    for (const id of ["..", "batches/.", ""]) {
      await expect(collect(batchResults(api.client(), succeeded(id, "gs://bucket/out.jsonl")))).rejects.toBeInstanceOf(GenaiError);
    }
    expect(api.requests).toHaveLength(1);
  });

  it("yields the inlined responses of a batch that has no file", async () => {
    api.addBatch({
      name: "batches/inl",
      inlinedResponses: [
        { response: { candidates: [{ content: { parts: [{ text: "hi" }] } }] }, metadata: { key: "one" } },
        { error: { code: 13, message: "internal" } },
      ],
    });
    const lines = await collect(batchResults(api.client(), { type: "batch.succeeded", data: { id: "batches/inl", output_file_uri: "" } }));
    expect(lines).toEqual([
      { key: "one", index: 0, response: { candidates: [{ content: { parts: [{ text: "hi" }] } }] } },
      { key: "1", index: 1, error: { code: 13, message: "internal" } },
    ]);
  });

  it('"not ready" (404) is retried with exponential backoff until the file appears', async () => {
    const { delays, sleep } = recordingSleep();
    let attempts = 0;
    const lines = await collect(
      batchResults(api.client(), succeeded("batches/b3", "files/late"), {
        initialDelayMs: 50,
        sleep: async (ms) => {
          await sleep(ms);
          if (++attempts === 3) api.files.set("files/late", resultLine("z", "Z"));
        },
      }),
    );
    expect(lines.map((l) => l.key)).toEqual(["z"]);
    expect(delays).toEqual([50, 100, 200]);
  });

  it("gives up with not_ready and a clear message when the file stays missing", async () => {
    const { delays, sleep } = recordingSleep();
    const err = await collect(batchResults(api.client(), succeeded("batches/b4", "files/never"), { sleep, initialDelayMs: 1000, maxWaitMs: 5000 })).catch((e) => e);
    expect(err).toBeInstanceOf(GenaiError);
    expect(err.code).toBe("not_ready");
    expect(err.status).toBe(404);
    expect(err.message).toMatch(/files\/never: still not available after 3 s \(3 attempts\).*maxWaitMs/);
    expect(delays).toEqual([1000, 2000]); // the next (4000) would pass maxWaitMs
  });

  it("retries 429 and 500, then succeeds", async () => {
    api.files.set("files/flaky", resultLine("ok", "fine"));
    api.fail(/files\/flaky:/, 429, 1, "1");
    api.fail(/files\/flaky:/, 500, 1);
    const { delays, sleep } = recordingSleep();
    const lines = await collect(batchResults(api.client(), succeeded("batches/b5", "files/flaky"), { sleep, initialDelayMs: 10 }));
    expect(lines.map((l) => l.key)).toEqual(["ok"]);
    expect(delays).toEqual([10, 20]);
    expect(api.requests).toHaveLength(3);
  });

  it("a server that keeps failing ends in unavailable with its status", async () => {
    api.files.set("files/down", resultLine("x", "x"));
    api.fail(/files\/down:/, 500, 100);
    const { sleep } = recordingSleep();
    const err = await collect(batchResults(api.client(), succeeded("batches/b6", "files/down"), { sleep, initialDelayMs: 10, maxWaitMs: 100 })).catch((e) => e);
    expect(err).toBeInstanceOf(GenaiError);
    expect(err).toMatchObject({ code: "unavailable", status: 500 });
  });

  it("401 fails at once with unauthorized, without retrying and without echoing the key", async () => {
    api.files.set("files/secret", resultLine("x", "x"));
    const { delays, sleep } = recordingSleep();
    const err = await collect(batchResults(api.client("wrong-key-123"), succeeded("batches/b7", "files/secret"), { sleep })).catch((e) => e);
    expect(err).toBeInstanceOf(GenaiError);
    expect(err).toMatchObject({ code: "unauthorized", status: 401 });
    expect(err.message).toMatch(/GEMINI_API_KEY/);
    expect(err.message).not.toContain("wrong-key-123");
    expect(delays).toEqual([]);
  });

  it("a job that failed has no results: unsupported, not retried", async () => {
    api.addBatch({ name: "batches/dead", state: "BATCH_STATE_FAILED", endTime: new Date().toISOString() });
    const { delays, sleep } = recordingSleep();
    const err = await collect(batchResults(api.client(), { type: "batch.succeeded", data: { id: "batches/dead", output_file_uri: "gs://x/y" } }, { sleep })).catch((e) => e);
    expect(err).toMatchObject({ code: "unsupported" });
    expect(err.message).toMatch(/BATCH_STATE_FAILED|JOB_STATE_FAILED/);
    expect(delays).toEqual([]);
  });

  it("a line that is not JSON is invalid_line with its line number", async () => {
    api.files.set("files/bad", resultLine("a", "A") + "{not json\n");
    const got: string[] = [];
    const err = await (async () => {
      for await (const l of batchResults(api.client(), succeeded("batches/b8", "files/bad"))) got.push(l.key);
    })().catch((e) => e);
    expect(got).toEqual(["a"]);
    expect(err).toMatchObject({ code: "invalid_line" });
    expect(err.message).toBe("Line 2 of files/bad is not JSON.");
  });

  it("refuses events that carry no results", async () => {
    // @ts-expect-error the types refuse it too; at run time it is refused with a clear error
    const err = await collect(batchResults(api.client(), { type: "batch.failed", data: { id: "batches/x" } })).catch((e) => e);
    expect(err).toMatchObject({ code: "unsupported" });
  });

  it("falls back to ai.files.download into a temporary file when the client exposes no HTTP layer", async () => {
    api.files.set("files/viafile", resultLine("p", "P") + resultLine("q", "Q"));
    const real = api.client();
    const publicOnly: GenAIClient = { batches: real.batches, files: real.files };
    const lines = await collect(batchResults(publicOnly, succeeded("batches/b9", "files/viafile")));
    expect(lines.map((l) => l.key)).toEqual(["p", "q"]);
  });

  it("an early break cancels the download", async () => {
    let produced = 0;
    let stopped!: () => void;
    const serverStopped = new Promise<void>((r) => (stopped = r));
    api.files.set("files/endless", function* () {
      try {
        for (;;) {
          produced++;
          yield resultLine(`k${produced}`, "x".repeat(1000));
        }
      } finally {
        stopped(); // the server's stream was destroyed: the client closed the connection
      }
    });
    for await (const line of batchResults(api.client(), succeeded("batches/b10", "files/endless"))) {
      if (line.index === 10) break;
    }
    await serverStopped;
    expect(produced).toBeLessThan(100_000);
  });
});

describe("batchResults on a large file", () => {
  it("iterates 100,000 lines (over 100 MB) with flat memory", async () => {
    const LINES = 100_000;
    const text = "y".repeat(1000);
    let bytes = 0;
    api.files.set("files/huge", function* () {
      for (let i = 0; i < LINES; i++) {
        const l = resultLine(`req-${i}`, text);
        bytes += Buffer.byteLength(l);
        yield l;
      }
    });
    const meter = memoryMeter();
    let count = 0;
    let lastKey = "";
    for await (const line of batchResults<{ candidates: Array<{ content: { parts: Array<{ text: string }> } }> }>(api.client(), succeeded("batches/big", "files/huge"))) {
      if (line.key !== `req-${count}`) throw new Error(`out of order at ${count}: ${line.key}`);
      count++;
      lastKey = line.key;
      if (count % 5000 === 0) meter.sample();
    }
    const { heapGrowth, rssGrowth } = meter.growth();
    console.log(`100,000 lines, ${(bytes / MB).toFixed(0)} MB streamed: retained heap+external growth ${heapGrowth.toFixed(1)} MB, peak RSS growth ${rssGrowth.toFixed(1)} MB`);
    expect(count).toBe(LINES);
    expect(lastKey).toBe("req-99999");
    expect(bytes).toBeGreaterThan(100 * MB); // twice the bound: holding the file whole could not stay under it
    expect(heapGrowth).toBeLessThan(50);
    // RSS also counts the allocator's and the in-process test server's slack, so it is noisier; it must
    // still stay well under the file's size.
    expect(rssGrowth).toBeLessThan(100);
  }, 120_000);

  it("the same measure catches a reader that holds the file whole (the bound is meaningful)", async () => {
    api.files.set("files/huge2", function* () {
      for (let i = 0; i < 100_000; i++) yield resultLine(`req-${i}`, "y".repeat(1000));
    });
    const meter = memoryMeter();
    const res = await fetch(`${api.baseUrl}/v1beta/files/huge2:download?alt=media`, { headers: { "x-goog-api-key": api.apiKey } });
    const whole = await res.text();
    meter.sample();
    expect(whole.length).toBeGreaterThan(100 * MB);
    expect(meter.growth().heapGrowth).toBeGreaterThan(50);
  }, 120_000);
});

describe("video.generated", () => {
  it("resolves the video across the payload variants", () => {
    expect(videoFile({ type: "video.generated", data: { file_id: "vid123", video_uri: "https://generativelanguage.googleapis.com/v1beta/files/vid123:download?alt=media" } })).toEqual({
      uri: "https://generativelanguage.googleapis.com/v1beta/files/vid123:download?alt=media",
      fileName: "files/vid123",
    });
    expect(videoFile({ type: "video.generated", data: { output_file_uri: "gs://bucket/v.mp4", file_name: "files/v-9" } })).toEqual({ uri: "gs://bucket/v.mp4", fileName: "files/v-9" });
    expect(videoFile({ type: "video.generated", data: { video_uri: "https://generativelanguage.googleapis.com/v1beta/files/only-uri" } })).toEqual({
      uri: "https://generativelanguage.googleapis.com/v1beta/files/only-uri",
      fileName: "files/only-uri",
    });
    expect(videoFile({ type: "video.generated", data: { output_file_uri: "gs://bucket/v.mp4" } })).toEqual({ uri: "gs://bucket/v.mp4" });
    expect(() => videoFile({ type: "video.generated", data: { id: "op-1" } })).toThrow(/none of video_uri, file_id, output_file_uri, file_name/);
    // @ts-expect-error the types refuse it too
    expect(() => videoFile({ type: "batch.succeeded", data: {} })).toThrow(GenaiError);
  });

  it("downloads the video through the client, waiting for it when it is not there yet", async () => {
    const { delays, sleep } = recordingSleep();
    const path = join(tmp, "video.mp4");
    const bytes = new Uint8Array([0, 0, 0, 24, 102, 116, 121, 112, 109, 112, 52, 50]);
    const video = await downloadVideo(api.client(), { type: "video.generated", data: { file_id: "vid-late", video_uri: "https://example.invalid/v" } }, path, {
      initialDelayMs: 5,
      sleep: async (ms) => {
        await sleep(ms);
        api.files.set("files/vid-late", bytes);
      },
    });
    expect(video.fileName).toBe("files/vid-late");
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    expect(delays).toEqual([5]);
  });

  it("a video outside the Files API is unsupported (fetch it with a storage client)", async () => {
    const err = await downloadVideo(api.client(), { type: "video.generated", data: { output_file_uri: "gs://bucket/v.mp4?sig=secret" } }, join(tmp, "x.mp4")).catch((e) => e);
    expect(err).toMatchObject({ code: "unsupported" });
    expect(err.message).toContain("gs://bucket/v.mp4");
    expect(err.message).not.toContain("sig=secret");
  });
});

// Type-level: the real client fits the structural GenAIClient.
const _fits: (api: GeminiApi) => GenAIClient = (a) => a.client();
const _line: BatchResultLine = { key: "k", index: 0, response: {} };
void _fits;
void _line;

// Type-level: the helpers take the core's typed events, and refuse other event types until narrowed.
export function typeChecks(ai: GenAIClient, e: BatchSucceededEvent, c: BatchCompletedEvent, v: VideoGeneratedEvent, any: AnyGeminiEvent, known: GeminiWebhookEvent) {
  void batchResults(ai, e);
  void batchResults(ai, c);
  void videoFile(v);
  // @ts-expect-error a batch.failed event has no results
  void batchResults(ai, { type: "batch.failed", data: { id: "x", error_code: "1", error_message: "m" } });
  // @ts-expect-error an event of any type must be narrowed first
  void batchResults(ai, any);
  if (known.type === "batch.succeeded") void batchResults(ai, known);
  // @ts-expect-error not a video event
  void videoFile(e);
}
