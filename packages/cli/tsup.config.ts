import { chmod, readFile, rm } from "node:fs/promises";
import { packageBuild } from "../tsup.shared.js";

const { version } = JSON.parse(await readFile(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

// Two entries: the library (runCli, for embedding and tests: ESM + CJS, types) and the `gemini-webhooks` bin
// (dist/bin.cjs, loaded by bin/gemini-webhooks.cjs; its ESM twin is not shipped).
export default packageBuild({
  platform: "node",
  entry: { index: "src/index.ts", bin: "src/bin.ts" },
  dts: { entry: { index: "src/index.ts" } },
  define: { __VERSION__: JSON.stringify(version) },
  // Each entry is built whole: tsup's CommonJS code splitting rewrites import() into require(), which cannot
  // load an --app module by file URL, nor an ES module. With splitting off, esbuild keeps Node's own import()
  // for the optional peers and --app modules.
  splitting: false,
  esbuildOptions(options) {
    options.supported = { ...options.supported, "dynamic-import": true };
  },
  async onSuccess() {
    await rm(new URL("./dist/bin.js", import.meta.url), { force: true });
    await chmod(new URL("./dist/bin.cjs", import.meta.url), 0o755);
  },
});
