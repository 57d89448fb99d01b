import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixture, fixtures } from "@gemini-webhooks/testing";
import { fetchJob, GenaiError } from "@gemini-webhooks/genai";

// fetchJob with the real @google/genai client against a local server answering the Gemini API's REST shapes:
//   GET /v1beta/batches/{id}                      → the batch as a long-running operation (metadata: the batch)
//   GET /v1beta/interactions/{id}                 → the interaction resource { id, status, model, outputs, … }
//   GET /v1beta/models/{model}/operations/{id}    → the video operation { name, done, response:
//                                                     { generateVideoResponse: { generatedSamples: [{ video }] } } }
// Anything else is Google's 404 error body; a wrong API key is 401; `fail` injects one status on the next request.

const API_KEY = "test-api-key";
const VIDEO_URI = "https://generativelanguage.googleapis.com/v1beta/files/vid1:download?alt=media";
let server: Server;
let ai: GoogleGenAI;
let base = "";
const requests: string[] = [];
let failNext: number | undefined;

function answer(path: string): [number, unknown] {
  let m: RegExpExecArray | null;
  if ((m = /^\/v1beta\/batches\/(b1)$/.exec(path))) {
    const name = `batches/${m[1]}`;
    return [
      200,
      {
        name,
        done: true,
        error: { code: 3, message: "Invalid JSONL on line 2." },
        metadata: {
          "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
          name,
          model: "models/gemini-2.5-flash",
          displayName: "nightly",
          state: "BATCH_STATE_FAILED",
          createTime: "2026-01-22T11:00:00Z",
          updateTime: "2026-01-22T12:00:00Z",
          endTime: "2026-01-22T12:00:00Z",
        },
      },
    ];
  }
  if ((m = /^\/v1beta\/interactions\/(i1)$/.exec(path))) {
    return [
      200,
      {
        id: m[1],
        status: "completed",
        model: "gemini-2.5-flash",
        created: "2026-01-22T11:00:00Z",
        updated: "2026-01-22T12:00:00Z",
        outputs: [{ type: "text", text: "Hello." }],
        usage: { total_input_tokens: 5, total_output_tokens: 2, total_tokens: 7 },
      },
    ];
  }
  if ((m = /^\/v1beta\/models\/(veo-3\.1-generate-preview)\/operations\/(op1)$/.exec(path))) {
    return [
      200,
      {
        name: `models/${m[1]}/operations/${m[2]}`,
        done: true,
        response: {
          "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
          generateVideoResponse: { generatedSamples: [{ video: { uri: VIDEO_URI } }] },
        },
      },
    ];
  }
  return [404, { error: { code: 404, message: `Requested entity was not found: ${path}`, status: "NOT_FOUND" } }];
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    requests.push(`${req.method} ${path}`);
    let [status, body] = answer(path);
    if (req.headers["x-goog-api-key"] !== API_KEY) [status, body] = [401, { error: { code: 401, message: "API key not valid.", status: "UNAUTHENTICATED" } }];
    else if (failNext !== undefined) [status, body, failNext] = [failNext, { error: { code: failNext, message: `Injected ${failNext}.`, status: "UNAVAILABLE" } }, undefined];
    res.statusCode = status;
    res.setHeader("content-type", "application/json; charset=UTF-8");
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ai = new GoogleGenAI({ apiKey: API_KEY, httpOptions: { baseUrl: base } });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests.length = 0;
  failNext = undefined;
});

const event = <T extends string>(type: T, data: Record<string, unknown>) => ({ type, version: "v1", timestamp: "2026-01-22T12:00:00Z", data });

async function refused(p: Promise<unknown>): Promise<GenaiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GenaiError);
  return e as GenaiError;
}

describe("batch.* → the BatchJob", () => {
  it.each(["batches/b1", "b1"])("data.id %s → ai.batches.get({ name: 'batches/b1' })", async (id) => {
    const job = await fetchJob(ai, fixture("batch.failed", { id }));
    expect(job).toMatchObject({ name: "batches/b1", state: "JOB_STATE_FAILED", displayName: "nightly", endTime: "2026-01-22T12:00:00Z" });
    expect(requests).toEqual(["GET /v1beta/batches/b1"]);
  });

  it("every batch type, the testing kit's fixtures included, reaches the same job", async () => {
    for (const type of ["batch.succeeded", "batch.completed", "batch.cancelled", "batch.expired"] as const) {
      expect((await fetchJob(ai, fixture(type, { id: "b1" }))).name).toBe("batches/b1");
    }
    expect(requests).toHaveLength(4);
  });
});

describe("interaction.* → the interaction", () => {
  it.each(["interactions/i1", "i1"])("data.id %s → ai.interactions.get('i1')", async (id) => {
    const interaction = await fetchJob(ai, fixture("interaction.completed", { id }));
    expect(interaction).toMatchObject({ id: "i1", status: "completed", outputs: [{ type: "text", text: "Hello." }] });
    expect(requests).toEqual(["GET /v1beta/interactions/i1"]);
  });

  it("a client without the Interactions API → unsupported, saying to upgrade; nothing requested", async () => {
    const older = { batches: ai.batches, operations: ai.operations }; // the surface of a release before ai.interactions
    const e = await refused(fetchJob(older, fixture("interaction.completed", { id: "i1" })));
    expect([e.code, e.message]).toEqual(["unsupported", expect.stringContaining("upgrade @google/genai")]);
    expect(requests).toEqual([]);
  });

  it("interaction.failed and requires_action fetch it too", async () => {
    expect((await fetchJob(ai, fixture("interaction.failed", { id: "i1" }))).id).toBe("i1");
    expect((await fetchJob(ai, fixture("interaction.requires_action", { id: "interactions/i1" }))).id).toBe("i1");
  });
});

describe("video.generated → the video operation", () => {
  it("data.id as the operation's full name → ai.operations.getVideosOperation, decoded by the SDK", async () => {
    const op = await fetchJob(ai, fixture("video.generated", { id: "models/veo-3.1-generate-preview/operations/op1", output_file_uri: VIDEO_URI, file_name: "files/vid1", file_id: undefined, video_uri: undefined }));
    expect(op.name).toBe("models/veo-3.1-generate-preview/operations/op1");
    expect(op.done).toBe(true);
    expect(op.response?.generatedVideos?.[0]?.video?.uri).toBe(VIDEO_URI);
    expect(requests).toEqual(["GET /v1beta/models/veo-3.1-generate-preview/operations/op1"]);
  });

  it("a bare operation id with { videoModel } → models/<model>/operations/<id>", async () => {
    for (const id of ["op1", "operations/op1"]) {
      const op = await fetchJob(ai, fixture("video.generated", { id, file_id: undefined }), { videoModel: "veo-3.1-generate-preview" });
      expect(op.name).toBe("models/veo-3.1-generate-preview/operations/op1");
    }
    const again = await fetchJob(ai, fixture("video.generated", { id: "op1" }), { videoModel: "models/veo-3.1-generate-preview" });
    expect(again.done).toBe(true);
  });

  it("a bare operation id without { videoModel } → unsupported, naming the option; nothing requested", async () => {
    const e = await refused(fetchJob(ai, fixture("video.generated", { id: "op1" })));
    expect(e.code).toBe("unsupported");
    expect(e.message).toContain("videoModel");
    expect(e.message).toContain("models/<model>/operations/<id>");
    expect(requests).toEqual([]);
  });

  it("the file_id + video_uri shape (no operation id) → unsupported, naming what it lacks and what it has", async () => {
    const e = await refused(fetchJob(ai, fixtures["video.generated"]));
    expect(e.code).toBe("unsupported");
    expect(e.message).toContain("no operation id (data.id)");
    expect(e.message).toContain("only file_id and video_uri");
    expect(e.message).toContain("videoFile(event)");
    expect(requests).toEqual([]);
  });
});

describe("no job to fetch, or an id that is not one", () => {
  it("an unknown event type → unsupported, naming the type", async () => {
    const e = await refused(fetchJob(ai, event("file.uploaded", { id: "f1" })));
    expect([e.code, e.message]).toEqual(["unsupported", expect.stringContaining('"file.uploaded"')]);
    expect(requests).toEqual([]);
  });

  it("an event with no data.id → unsupported", async () => {
    const e = await refused(fetchJob(ai, event("batch.expired", {})));
    expect([e.code, e.message]).toEqual(["unsupported", expect.stringContaining("no data.id")]);
  });

  it("not an event at all → unsupported", async () => {
    expect((await refused(fetchJob(ai, null as any))).code).toBe("unsupported");
    expect((await refused(fetchJob(ai, { type: "batch.failed" } as any))).code).toBe("unsupported");
  });

  it.each([
    ["batch.failed", "batches/../files/secret"],
    ["batch.failed", "../files/secret"],
    ["batch.failed", "b1?alt=media"],
    ["batch.failed", "b1:cancel"],
    ["batch.failed", "b1#x"],
    ["batch.failed", "b%2F1"],
    ["batch.failed", ".."],
    ["interaction.completed", "interactions/i1/../../batches/b1"],
    ["interaction.completed", "i 1"],
    ["video.generated", "models/veo/operations/../../batches/b1"],
    ["video.generated", "models/../operations/op1"],
  ])("%s with data.id %j → unsupported, nothing requested", async (type, id) => {
    const e = await refused(fetchJob(ai, event(type, { id, error_code: "1", error_message: "m" }), { videoModel: "veo-3.1-generate-preview" }));
    expect(e.code).toBe("unsupported");
    expect(requests).toEqual([]);
  });
});

describe("the API's answers", () => {
  it("404 → request_failed with status 404, naming the job", async () => {
    const e = await refused(fetchJob(ai, fixture("batch.cancelled", { id: "gone" })));
    expect([e.code, e.status]).toEqual(["request_failed", 404]);
    expect(e.message).toContain("batch batches/gone");
  });

  it("a wrong API key → unauthorized (401), the key never in the message", async () => {
    const wrong = new GoogleGenAI({ apiKey: "wrong-key-123", httpOptions: { baseUrl: base } });
    const e = await refused(fetchJob(wrong, fixture("interaction.completed", { id: "i1" })));
    expect([e.code, e.status]).toEqual(["unauthorized", 401]);
    expect(e.message).not.toContain("wrong-key-123");
  });

  it("503 → unavailable after one request (Gemini's retry of the delivery is the retry)", async () => {
    failNext = 503;
    const e = await refused(fetchJob(ai, fixture("batch.failed", { id: "b1" })));
    expect([e.code, e.status]).toEqual(["unavailable", 503]);
    expect(requests).toHaveLength(1);
  });

  it("the network down → unavailable", async () => {
    const dead = await new Promise<string>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
        s.close(() => resolve(url));
      });
    });
    const offline = new GoogleGenAI({ apiKey: API_KEY, httpOptions: { baseUrl: dead } });
    expect((await refused(fetchJob(offline, fixture("batch.failed", { id: "b1" })))).code).toBe("unavailable");
  });
});
