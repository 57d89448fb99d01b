import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { publishablePackages, publishProblems } from "../../scripts/release.mjs";
import { root } from "../support/build.js";

// scripts/release.mjs (pnpm release [--dry-run], pnpm pack:all) finds the packages to publish itself: a package
// added under packages/ is released without editing a list, and must say how it is published.
type Pkg = { name: string; private?: boolean; publishConfig?: { access?: string; provenance?: boolean }; engines?: { node?: string } };

describe("the release script", () => {
  it("publishes every package under packages/ that is not private, and nothing else", () => {
    const onDisk = readdirSync(join(root, "packages"), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => {
        try {
          return [JSON.parse(readFileSync(join(root, "packages", d.name, "package.json"), "utf8")) as Pkg];
        } catch {
          return [];
        }
      });
    const names = (publishablePackages() as Pkg[]).map((p) => p.name);
    expect(names.sort()).toEqual(onDisk.filter((p) => !p.private).map((p) => p.name).sort());
    expect(names).toEqual(expect.arrayContaining(["@gemini-webhooks/core", "@gemini-webhooks/express", "@gemini-webhooks/testing"]));
  });

  it("every package publishes publicly with provenance and declares its Node versions", () => {
    const problems = (publishablePackages() as Pkg[]).flatMap((p) => (publishProblems(p) as string[]).map((why) => `${p.name}: ${why}`));
    expect(problems, problems.join("\n")).toEqual([]);
  });

  it("names what is missing from a package that would publish as restricted or without provenance", () => {
    expect(publishProblems({ name: "@gemini-webhooks/new", engines: { node: ">=20" } })).toEqual([
      expect.stringContaining("publishConfig.access"),
      expect.stringContaining("publishConfig.provenance"),
    ]);
    expect(publishProblems({ name: "@gemini-webhooks/new", publishConfig: { access: "public", provenance: true } })).toEqual([expect.stringContaining("engines.node")]);
  });
});
