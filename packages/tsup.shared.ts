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
    // Shared chunks for CJS too (tsup splits only ESM by default): with several entries (core's ".", "./adapter",
    // "./node"), each CJS entry would otherwise carry its own copy of every class, and an error thrown by one
    // entry would fail `instanceof` in another (a 413 from readNodeBody answered as a 500 in CommonJS apps).
    splitting: true,
    target: "es2022",
    ...options,
  });
}
