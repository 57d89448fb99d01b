import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const pkg = (name: string, entry = "index") => fileURLToPath(new URL(`./packages/${name}/src/${entry}.ts`, import.meta.url));
const nest12 = (name: string) => fileURLToPath(new URL(`./test/nest12/node_modules/@nestjs/${name}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      "@gemini-webhooks/core": pkg("core"),
      "@gemini-webhooks/express": pkg("express"),
      "@gemini-webhooks/koa": pkg("koa"),
      "@gemini-webhooks/next": pkg("next"),
      "@gemini-webhooks/nestjs": pkg("nestjs"),
      // a subpath before its package (the first matching alias wins)
      "@gemini-webhooks/redis/bullmq": pkg("redis", "bullmq"),
      "@gemini-webhooks/redis": pkg("redis"),
      "@gemini-webhooks/testing": pkg("testing"),
    },
  },
  test: {
    testTimeout: 20_000,
    hookTimeout: 240_000,
    teardownTimeout: 30_000,
    pool: "forks",
    projects: [
      { extends: true, test: { name: "main", include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"], provide: { nestMajor: 11 } } },
      {
        // The NestJS suite again on NestJS 12 (test/ itself depends on 11): @nestjs/* resolve to test/nest12's.
        // The CommonJS and example tests load Nest through Node's own resolution, so they stay on 11 only.
        extends: true,
        resolve: {
          alias: Object.fromEntries(["common", "core", "platform-express", "platform-fastify"].map((n) => [`@nestjs/${n}`, nest12(n)])),
        },
        test: {
          name: "nest12",
          include: ["test/nestjs/guard.test.ts", "test/nestjs/module.test.ts", "test/nestjs/version.test.ts"],
          provide: { nestMajor: 12 },
        },
      },
    ],
  },
});
