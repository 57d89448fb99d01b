import { chmod, readFile } from "node:fs/promises";
import { defineConfig } from "tsup";

const { version } = JSON.parse(await readFile(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

export default defineConfig({
  // cli: the `gemini-webhooks` bin (dist/cli.cjs); its `#!/usr/bin/env node` line is kept by esbuild.
  entry: ["src/index.ts", "src/cli.ts"],
  format: ["esm", "cjs"],
  dts: { entry: "src/index.ts" },
  sourcemap: false,
  clean: true,
  target: "es2022",
  platform: "node",
  define: { __VERSION__: JSON.stringify(version) },
  async onSuccess() {
    await chmod(new URL("./dist/cli.cjs", import.meta.url), 0o755);
    await chmod(new URL("./dist/cli.js", import.meta.url), 0o755);
  },
});
