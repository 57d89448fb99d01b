/**
 * `@gemini-webhooks/core/adapter`: the framework-neutral half of every adapter. An adapter builds an
 * IncomingDelivery from its request, calls receive(), and writes the result: nothing else.
 */
export { receive, closesConnection, type IncomingDelivery, type ReceiveResult } from "./receive.js";
export { toResponse, errorResponse, errorResult, bodyText } from "./answers.js";
export { bodyTooLarge, bodyTimeout, bodyAlreadyParsed, ClientAbortError, type Framework } from "./messages.js";
export { readLimited, concatChunks } from "./read-limited.js";
export { resolveWebhooks, isGeminiWebhooks } from "./create.js";
