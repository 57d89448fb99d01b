import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2022",
  platform: "node",
  // bullmq is loaded lazily with createRequire(import.meta.url); the CJS build needs the import.meta.url shim.
  shims: true,
});
