// Type-level tests, run by `pnpm typecheck` (tsc --noEmit). Each @ts-expect-error must be an error.
import {
  createGeminiWebhooks,
  type AnyGeminiEvent,
  type BatchFailedEvent,
  type GeminiEventData,
  type GeminiWebhookEvent,
  type WebhookErrorCode,
} from "../src/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assert = <T extends true>(_: T) => {};

const wh = createGeminiWebhooks<{ team: string }>({
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  on: {
    "batch.failed": (event) => {
      const code: string = event.data.error_code; // typed without a cast
      const msg: string = event.data.error_message;
      // @ts-expect-error batch.failed has no output_file_uri
      event.data.output_file_uri;
      // @ts-expect-error error_code is a string, not a number
      const n: number = event.data.error_code;
      void [code, msg, n];
    },
    "batch.succeeded": (event, ctx) => {
      const uri: string = event.data.output_file_uri;
      const scheme: "v1" | "v1a" | "jwt" | "reconcile" = ctx.scheme;
      const team: string | undefined = event.user_metadata?.team;
      // @ts-expect-error user_metadata is narrowed to { team: string }
      event.user_metadata?.project;
      void [uri, scheme, team];
    },
    "batch.completed": (event) => {
      const count: number | undefined = event.data.error_count;
      // @ts-expect-error error_count is optional
      const strict: number = event.data.error_count;
      void [count, strict];
    },
    "video.generated": (event) => {
      const uri: string | undefined = event.data.video_uri ?? event.data.output_file_uri;
      void uri;
    },
    "*": (event) => {
      const t: string = event.type;
      void t;
    },
    // @ts-expect-error not an event type: typos do not compile
    "batch.succeded": () => {},
  },
});

wh.on("interaction.failed", (event) => {
  const c: string = event.data.error_code;
  void c;
});
wh.on("video.generated", (event) => {
  // @ts-expect-error video.generated has no error_code
  event.data.error_code;
});
// @ts-expect-error unknown event type in on()
wh.on("nope", () => {});

// The union narrows on `type`.
declare const any: GeminiWebhookEvent;
if (any.type === "batch.failed") {
  const e: BatchFailedEvent = any;
  void e.data.error_message;
}
declare const unknownEvent: AnyGeminiEvent;
void unknownEvent.data;

assert<Equal<GeminiEventData<"batch.failed">, { id: string; error_code: string; error_message: string }>>(true);
assert<Equal<GeminiEventData<"batch.cancelled">, { id: string }>>(true);

const code: WebhookErrorCode = "signature_mismatch";
// @ts-expect-error the error code union is closed
const bad: WebhookErrorCode = "bad_signature";
void [code, bad];

async function verifyReturnsEvents() {
  const ev = await wh.verify({ body: "", headers: {} });
  if (ev.type === "batch.succeeded") {
    const s: string = ev.data.output_file_uri;
    void s;
  }
}
void verifyReturnsEvents;

// isEventType narrows AnyGeminiEvent (which also holds unknown types) to one event type
declare const anyEvent: import("../src/index.js").AnyGeminiEvent<{ team: string }>;
import { isEventType } from "../src/index.js";
if (isEventType(anyEvent, "batch.failed")) {
  const code: string = anyEvent.data.error_code;
  const team: string | undefined = anyEvent.user_metadata?.team;
  // @ts-expect-error batch.failed has no output_file_uri
  anyEvent.data.output_file_uri;
  void [code, team];
}
// @ts-expect-error not an event type of the catalog
isEventType(anyEvent, "batch.exploded");

// A store with a unit of work types what it adds on every handler's ctx (no cast).
declare const unitStore: import("../src/index.js").IdempotencyStore<{ db: { query(sql: string): Promise<unknown> } }>;
const withUnit = createGeminiWebhooks({
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  idempotency: unitStore,
  on: {
    "batch.failed": async (event, ctx) => {
      await ctx.db.query(`insert ${event.data.error_code}`);
    },
  },
});
withUnit.on("batch.succeeded", async (_event, ctx) => {
  await ctx.db.query("select 1");
});
createGeminiWebhooks({
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  on: {
    "batch.failed": (_event, ctx) => {
      // @ts-expect-error without a unit-of-work store there is no ctx.db
      void ctx.db;
    },
  },
});
