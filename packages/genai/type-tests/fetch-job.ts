// Type-level tests of fetchJob, run by this package's `pnpm typecheck` (tsc --noEmit). Each @ts-expect-error
// must be an error.
import { GoogleGenAI, type BatchJob, type GenerateVideosOperation, type GoogleGenAIInteraction } from "@google/genai";
import type { AnyGeminiEvent, BatchFailedEvent, BatchSucceededEvent, InteractionCompletedEvent, VideoGeneratedEvent } from "@gemini-webhooks/core";
import { fetchJob, type FetchedJob } from "../src/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assert = <T extends true>(_: T) => {};

declare const ai: GoogleGenAI; // the SDK's own client fits fetchJob's JobClient
declare const failed: BatchFailedEvent;
declare const succeeded: BatchSucceededEvent<{ team: string }>;
declare const completed: InteractionCompletedEvent;
declare const video: VideoGeneratedEvent;
declare const any: AnyGeminiEvent;

export async function typeTests() {
  const batch = await fetchJob(ai, failed);
  assert<Equal<typeof batch, BatchJob>>(true);
  const state: string | undefined = batch.state;
  // @ts-expect-error a BatchJob has no `steps` (that is an interaction's)
  batch.steps;

  assert<Equal<Awaited<ReturnType<typeof fetchJob<"batch.succeeded">>>, BatchJob>>(true);
  assert<Equal<typeof succeeded extends { type: infer T extends string } ? FetchedJob<T> : never, BatchJob>>(true);

  const interaction = await fetchJob(ai, completed);
  assert<Equal<typeof interaction, GoogleGenAIInteraction>>(true);
  const steps: unknown[] = interaction.steps;

  const operation = await fetchJob(ai, video);
  assert<Equal<typeof operation, GenerateVideosOperation>>(true);
  const done: boolean | undefined = operation.done;
  // @ts-expect-error a video operation is not an interaction
  const wrong: GoogleGenAIInteraction = operation;

  // the catch-all handler's event (any type, unknown ones included): one of the three, or a runtime error
  const something = await fetchJob(ai, any);
  assert<Equal<typeof something, BatchJob | GoogleGenAIInteraction | GenerateVideosOperation>>(true);

  // @ts-expect-error the event is required
  await fetchJob(ai);
  // @ts-expect-error fetchJob needs a client with batches, operations (and interactions)
  await fetchJob({}, failed);
  // @ts-expect-error a known type's FetchedJob is never `never`; an unknown one is
  const none: FetchedJob<"file.uploaded"> = batch;

  void [state, steps, done, wrong, none];
}
