import { packageBuild } from "../tsup.shared.js";

// No node:* import: this package runs on web-standard runtimes (Edge, Workers, Bun, Deno) too.
export default packageBuild({ platform: "neutral" });
