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
  async onSuccess() {
    await chmod(new URL("./dist/bin.cjs", import.meta.url), 0o755);
  },
});
