import { defineConfig } from "astro/config";
import node from "@astrojs/node";

// On-demand rendering on Node (standalone server: `node dist/server/entry.mjs`, HOST and PORT from the environment).
export default defineConfig({ output: "server", adapter: node({ mode: "standalone" }), telemetry: false });
