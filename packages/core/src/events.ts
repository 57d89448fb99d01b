/**
 * The Gemini webhook event catalog: one `as const` table, every type derived from it.
 * A field spec ending in `?` is optional. Unknown fields sent by Gemini are kept at run time.
 */
export const GEMINI_EVENT_CATALOG = {
  "batch.succeeded": { when: "batch finished", data: { id: "string", output_file_uri: "string" } },
  "batch.completed": {
    when: "batch finished (alias seen in Gemini's examples)",
    data: { id: "string", output_file_uri: "string", error_count: "number?" },
  },
  /**
   * @deprecated Dropped from `@google/genai`'s webhook event enum on 2026-04-29 while Gemini's docs still list
   * it: still accepted, typed and dispatched, in case a delivery carries it.
   */
  "batch.cancelled": { when: "user cancelled the batch", data: { id: "string" } },
  "batch.expired": { when: "batch not done within 24 h", data: { id: "string" } },
  "batch.failed": {
    when: "system or validation error",
    data: { id: "string", error_code: "string", error_message: "string" },
  },
  "interaction.requires_action": { when: "a function call needs the user", data: { id: "string" } },
  "interaction.completed": { when: "interaction LRO succeeded", data: { id: "string" } },
  "interaction.failed": {
    when: "interaction LRO failed",
    data: { id: "string", error_code: "string", error_message: "string" },
  },
  /**
   * @deprecated Dropped from `@google/genai`'s webhook event enum on 2026-04-29 while Gemini's docs still list
   * it: still accepted, typed and dispatched, in case a delivery carries it.
   */
  "interaction.cancelled": { when: "interaction LRO cancelled", data: { id: "string" } },
  "video.generated": {
    when: "video LRO done",
    // Live traffic sends file_id + video_uri; the English docs name id, output_file_uri, file_name.
    data: {
      file_id: "string?",
      video_uri: "string?",
      id: "string?",
      output_file_uri: "string?",
      file_name: "string?",
    },
  },
} as const;

type Catalog = typeof GEMINI_EVENT_CATALOG;

/** Every event type Gemini is known to send. */
export type GeminiEventType = keyof Catalog;

/** The known event types, in catalog order. */
export const GEMINI_EVENT_TYPES = Object.keys(GEMINI_EVENT_CATALOG) as GeminiEventType[];

type FieldType<S> = S extends "string" | "string?" ? string : S extends "number" | "number?" ? number : unknown;
type RequiredKeys<D> = { [K in keyof D]: D[K] extends `${string}?` ? never : K }[keyof D];
type OptionalKeys<D> = Exclude<keyof D, RequiredKeys<D>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The `data` of event type `T`, derived from the catalog. */
export type GeminiEventData<T extends GeminiEventType> = Simplify<
  { -readonly [K in RequiredKeys<Catalog[T]["data"]>]: FieldType<Catalog[T]["data"][K]> } & {
    -readonly [K in OptionalKeys<Catalog[T]["data"]>]?: FieldType<Catalog[T]["data"][K]>;
  }
>;

/** `user_metadata` from a dynamic webhook_config; narrow it with the `M` parameter. */
export type UserMetadata = Record<string, unknown>;

/** The envelope of a known event type. */
export interface GeminiEventOf<T extends GeminiEventType, M = UserMetadata> {
  type: T;
  version?: string;
  timestamp?: string;
  data: GeminiEventData<T>;
  /** Present when the webhook was configured per job with `webhook_config.user_metadata`. */
  user_metadata?: M;
}

/** An event whose type is not (yet) in the catalog: it still reaches the `"*"` handlers. */
export interface UnknownGeminiEvent<M = UserMetadata> {
  type: string;
  version?: string;
  timestamp?: string;
  data: Record<string, unknown>;
  user_metadata?: M;
}

/** Discriminated union of every known event. */
export type GeminiWebhookEvent<M = UserMetadata> = {
  [T in GeminiEventType]: GeminiEventOf<T, M>;
}[GeminiEventType];

/** What a receiver may hand a `"*"` handler: a known event or a forward-compatible unknown one. */
export type AnyGeminiEvent<M = UserMetadata> = GeminiWebhookEvent<M> | UnknownGeminiEvent<M>;

export type BatchSucceededEvent<M = UserMetadata> = GeminiEventOf<"batch.succeeded", M>;
export type BatchCompletedEvent<M = UserMetadata> = GeminiEventOf<"batch.completed", M>;
/** @deprecated Dropped from `@google/genai`'s event enum on 2026-04-29 (the docs still list it); still accepted and typed. */
export type BatchCancelledEvent<M = UserMetadata> = GeminiEventOf<"batch.cancelled", M>;
export type BatchExpiredEvent<M = UserMetadata> = GeminiEventOf<"batch.expired", M>;
export type BatchFailedEvent<M = UserMetadata> = GeminiEventOf<"batch.failed", M>;
export type InteractionRequiresActionEvent<M = UserMetadata> = GeminiEventOf<"interaction.requires_action", M>;
export type InteractionCompletedEvent<M = UserMetadata> = GeminiEventOf<"interaction.completed", M>;
export type InteractionFailedEvent<M = UserMetadata> = GeminiEventOf<"interaction.failed", M>;
/** @deprecated Dropped from `@google/genai`'s event enum on 2026-04-29 (the docs still list it); still accepted and typed. */
export type InteractionCancelledEvent<M = UserMetadata> = GeminiEventOf<"interaction.cancelled", M>;
/**
 * `video.generated` arrives in two shapes, both accepted: `file_id` + `video_uri` (live traffic, the docs'
 * catalog) or `id` + `output_file_uri` + `file_name` (the docs' field list); every field is optional in the type.
 */
export type VideoGeneratedEvent<M = UserMetadata> = GeminiEventOf<"video.generated", M>;

/** True when `type` is in the catalog. */
export function isKnownEventType(type: string): type is GeminiEventType {
  return Object.prototype.hasOwnProperty.call(GEMINI_EVENT_CATALOG, type);
}

/**
 * Narrows an event to one type: `if (isEventType(event, "batch.succeeded")) event.data.output_file_uri`.
 * (`event.type === "…"` alone cannot narrow `AnyGeminiEvent`, which also holds events of unknown types.)
 */
export function isEventType<T extends GeminiEventType, M = UserMetadata>(event: AnyGeminiEvent<M>, type: T): event is GeminiEventOf<T, M> {
  return event.type === type;
}
