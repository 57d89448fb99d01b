// Serves the h3 2 app on node:http (`node server.mjs`), or the h3 1 app (`node server.mjs --v1`).
// PORT (default 3000; 0 picks a free one) and HOST (default 127.0.0.1); prints "listening <port>".
import { createServer } from "node:http";

const v1 = process.argv.includes("--v1");
const listener = v1 ? (await import("h3v1")).toNodeListener((await import("./app-v1.mjs")).app) : (await import("h3")).toNodeHandler((await import("./app.mjs")).app);
const server = createServer(listener);
server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? "127.0.0.1", () => {
  console.log(`listening ${server.address().port}`);
});
