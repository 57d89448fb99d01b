import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      "@gemini-webhooks/core": pkg("core"),
      "@gemini-webhooks/express": pkg("express"),
      "@gemini-webhooks/koa": pkg("koa"),
      "@gemini-webhooks/next": pkg("next"),
      "@gemini-webhooks/nestjs": pkg("nestjs"),
      "@gemini-webhooks/redis": pkg("redis"),
      "@gemini-webhooks/testing": pkg("testing"),
    },
  },
  test: {
    include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 240_000,
    teardownTimeout: 30_000,
    pool: "forks",
  },
});
