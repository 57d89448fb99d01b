import { chmod, readFile } from "node:fs/promises";
import { packageBuild } from "../tsup.shared.js";

const { version } = JSON.parse(await readFile(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

// Two entries: the library (runCli, for embedding and tests) and the `gemini-webhooks` bin (dist/bin.cjs,
// loaded by bin/gemini-webhooks.cjs; esbuild keeps its `#!/usr/bin/env node` line).
export default packageBuild({
  platform: "node",
  entry: { index: "src/index.ts", bin: "src/bin.ts" },
  dts: { entry: { index: "src/index.ts" } },
  define: { __VERSION__: JSON.stringify(version) },
  // Keep import() native in the CommonJS build too: the optional peers and an --app module (ESM or CJS, by
  // file URL) load with Node's own import(), never a require() that cannot take a file URL or an ES module.
  // (tsup's CommonJS code splitting rewrites import() into require(): each entry is built whole instead.)
  splitting: false,
  esbuildOptions(options) {
    options.supported = { ...options.supported, "dynamic-import": true };
  },
  async onSuccess() {
    await chmod(new URL("./dist/bin.cjs", import.meta.url), 0o755);
  },
});
