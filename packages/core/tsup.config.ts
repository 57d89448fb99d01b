import { packageBuild } from "../tsup.shared.js";

// The main entry and ./adapter import no node:* module: they run on web-standard runtimes (Edge, Workers,
// Bun, Deno). ./node is the Node stream reader for the Node adapters.
export default packageBuild({
  platform: "neutral",
  entry: { index: "src/index.ts", adapter: "src/adapter.ts", node: "src/node.ts", extend: "src/extend.ts" },
  external: [/^node:/],
});
