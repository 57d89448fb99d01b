import { packageBuild } from "../tsup.shared.js";

// No node:* import: the middleware runs on Node, Bun, Deno and Cloudflare Workers.
export default packageBuild({ platform: "neutral" });
