// Node: the app behind @hono/node-server (a Request/Response bridge over node:http).
import { serve } from "@hono/node-server";
import { createApp } from "./app.mjs";

const app = createApp(process.env);
serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => console.log(`listening ${info.port}`));
