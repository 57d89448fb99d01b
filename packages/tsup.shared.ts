import { defineConfig, type Options } from "tsup";

/** The one build every package shares: ESM + CJS + .d.ts from src/index.ts. `platform` and extras per package. */
export function packageBuild(options: Options & { platform: "node" | "neutral" }) {
  return defineConfig({
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "es2022",
    ...options,
  });
}
