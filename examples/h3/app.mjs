// h3 2 (Nitro 3): event.req is the web Request, unread; core's fetch() reads its raw body and answers.
import { H3 } from "h3";
import { webhooks } from "./webhooks.mjs";

export const app = new H3().post("/gemini-callback", (event) => webhooks.fetch(event.req));
