import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (name: string, file: string) => fileURLToPath(new URL(`./packages/${name}/src/${file}.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // exact matches: "@gemini-webhooks/core" must not swallow "@gemini-webhooks/core/adapter"
    alias: [
      { find: /^@gemini-webhooks\/core\/adapter$/, replacement: src("core", "adapter") },
      { find: /^@gemini-webhooks\/core\/node$/, replacement: src("core", "node") },
      ...["core", "express", "genai", "koa", "next", "nestjs", "redis", "testing"].map((name) => ({
        find: new RegExp(`^@gemini-webhooks/${name}$`),
        replacement: src(name, "index"),
      })),
    ],
  },
  test: {
    include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 240_000,
    teardownTimeout: 30_000,
    pool: "forks",
  },
});
