// Deno: Deno.serve with the app's fetch (bare imports resolve from node_modules, as in a Deno app with a package.json).
import { createApp } from "./app.mjs";

const app = createApp(Deno.env.toObject());
Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(`listening ${port}`) }, app.fetch);
