// Bun: Bun.serve with the app's fetch.
import { createApp } from "./app.mjs";

const app = createApp(process.env);
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
console.log(`listening ${server.port}`);
