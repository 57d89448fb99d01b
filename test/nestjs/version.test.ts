import { expect, inject, it } from "vitest";
import common from "@nestjs/common/package.json" with { type: "json" };
import core from "@nestjs/core/package.json" with { type: "json" };
import platformExpress from "@nestjs/platform-express/package.json" with { type: "json" };
import platformFastify from "@nestjs/platform-fastify/package.json" with { type: "json" };

// The NestJS suite runs once per supported major (vitest projects "nest10", "main" (11) and "nest12"): this proves which
// major each run loaded, so a broken alias cannot quietly test 11 twice.
it("loads the NestJS major its project names", () => {
  const major = (v: string) => Number(v.split(".")[0]);
  const expected = inject("nestMajor");
  expect([common, core, platformExpress, platformFastify].map((p) => major(p.version))).toEqual([expected, expected, expected, expected]);
});

declare module "vitest" {
  export interface ProvidedContext {
    nestMajor: number;
  }
}
