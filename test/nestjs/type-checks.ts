// Type-level tests, run by `pnpm typecheck` (tsc --noEmit). Each @ts-expect-error must be an error.
import { Injectable } from "@nestjs/common";
import {
  GeminiWebhooksModule,
  OnGeminiEvent,
  type AnyGeminiEvent,
  type BatchFailedEvent,
  type BatchSucceededEvent,
  type GeminiEventFor,
  type WebhookContext,
} from "@gemini-webhooks/nestjs";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assert = <T extends true>(_: T) => {};
assert<Equal<GeminiEventFor<"batch.succeeded">, BatchSucceededEvent>>(true);
assert<Equal<GeminiEventFor<"*">, AnyGeminiEvent>>(true);

@Injectable()
export class Handlers {
  @OnGeminiEvent("batch.succeeded")
  ok(event: BatchSucceededEvent, ctx: WebhookContext) {
    const uri: string = event.data.output_file_uri;
    const scheme: "v1" | "v1a" | "jwt" | "reconcile" = ctx.scheme;
    void [uri, scheme];
  }

  @OnGeminiEvent("batch.failed")
  failed(event: BatchFailedEvent) {
    const code: string = event.data.error_code;
    // @ts-expect-error batch.failed has no output_file_uri
    void event.data.output_file_uri;
    void code;
  }

  @OnGeminiEvent("*")
  any(event: AnyGeminiEvent) {
    void event.type;
  }

  @OnGeminiEvent("batch.succeeded", "batch.completed")
  both(event: GeminiEventFor<"batch.succeeded" | "batch.completed">) {
    void event.data.output_file_uri;
  }

  // @ts-expect-error a batch.succeeded handler cannot take a batch.failed event
  @OnGeminiEvent("batch.succeeded")
  wrong(event: BatchFailedEvent) {
    void event;
  }

  // @ts-expect-error not an event type of the catalog (use "*" for unknown types)
  @OnGeminiEvent("batch.exploded")
  unknown() {}
}

GeminiWebhooksModule.forRoot({ secret: "whsec_x", path: "hooks", on: { "batch.succeeded": (e) => void e.data.output_file_uri } });
GeminiWebhooksModule.forRootAsync({ useFactory: () => ({ secret: "whsec_x" }), inject: [], path: false });
// @ts-expect-error path is a string or false
GeminiWebhooksModule.forRoot({ secret: "whsec_x", path: 1 });
