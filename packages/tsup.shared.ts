import { defineConfig, type Options } from "tsup";

/**
 * The one build every package shares: ESM + CJS + .d.ts from src/index.ts. `platform` and extras per package.
 * No source maps and no src in the tarball: the output is not minified (names and structure as in src), so a
 * stack frame in dist reads as well as one in src, and maps with embedded sources would triple the download.
 */
export function packageBuild(options: Options & { platform: "node" | "neutral" }) {
  return defineConfig({
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: false,
    minify: false,
    clean: true,
    target: "es2022",
    ...options,
  });
}
