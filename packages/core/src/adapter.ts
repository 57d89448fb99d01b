// @gemini-webhooks/core/adapter: the framework-neutral half of every adapter. An adapter builds an
// IncomingDelivery from its request, calls receive(), and writes the result: nothing else.
export { receive, readFailed, type IncomingDelivery, type ReceiveResult } from "./adapter/receive.js";
export { toResponse, errorResponse, errorResult, bodyText, closesConnection } from "./adapter/answers.js";
export { bodyTooLarge, bodyTimeout, bodyAlreadyParsed, type Framework } from "./adapter/messages.js";
export { readLimited } from "./adapter/web-reader.js";
export { ClientAbortError } from "./errors.js";
export { resolveWebhooks, isGeminiWebhooks } from "./receiver/create.js";
export { settingsOf, rejectWith, type ReceiverSettings } from "./adapter/settings.js";
