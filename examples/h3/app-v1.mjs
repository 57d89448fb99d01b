// h3 1 (Nuxt 3 and 4, Nitro 2): toWebRequest(event) wraps the Node request, body unread, as a web Request.
import { createApp, createRouter, defineEventHandler, toWebRequest } from "h3v1";
import { webhooks } from "./webhooks.mjs";

export const app = createApp().use(
  createRouter().post("/gemini-callback", defineEventHandler((event) => webhooks.fetch(toWebRequest(event)))),
);
