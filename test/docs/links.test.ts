import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs module without types
import { absentOtherBranchPages } from "../../docs/.vitepress/other-branches.mjs";
import { root } from "../support/build.js";

// README.md is the front door (at most 250 lines) and, like each package README, links into the site with
// relative links that GitHub resolves: every such link must reach a file, and a #fragment a heading of it.
// (The site's own pages are checked, built, by site.test.ts.) Links to the pages other work provides
// (docs/postgres.md, docs/frameworks.md) are tolerated while those files are absent.
const READMES = [
  "README.md",
  ...readdirSync(join(root, "packages"))
    .filter((p) => existsSync(join(root, "packages", p, "README.md")))
    .map((p) => `packages/${p}/README.md`),
];
const absent: string[] = absentOtherBranchPages();

/** GitHub's heading anchor: lower case, punctuation dropped (but "-" and "_"), spaces to "-". */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]{1,2}([^`*_]+)[`*_]{1,2}/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

function anchors(file: string): Set<string> {
  const found = new Set<string>();
  let fence = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("```")) fence = !fence;
    const m = !fence && /^#{1,6}\s+(.*)$/.exec(line);
    if (m) {
      let s = slug(m[1]!);
      for (let i = 1; found.has(s); i++) s = `${slug(m[1]!)}-${i}`;
      found.add(s);
    }
  }
  return found;
}

/** The relative links of a Markdown file, outside code: [text](target) and ![alt](target). */
function relativeLinks(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8").replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith("#"));
}

describe("README.md and the package READMEs", () => {
  it("README.md is the front door: at most 250 lines, the two set-up commands, the tarball install line", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    expect(readme.split("\n").length).toBeLessThanOrEqual(250);
    expect(readme).toContain("npm i -g pnpm@10.34.9 && pnpm demo");
    expect(readme).toMatch(/^pnpm test$/m);
    expect(readme).toMatch(/pnpm pack:all.*npm i \.\/dist-tarballs\/gemini-webhooks-/);
  });

  it("every relative link resolves to a file, and every #fragment to a heading of it", () => {
    const problems: string[] = [];
    let checked = 0;
    for (const file of READMES) {
      for (const link of relativeLinks(file)) {
        const [path, fragment] = link.split("#") as [string, string | undefined];
        const target = join(root, dirname(file), decodeURIComponent(path));
        checked++;
        if (!existsSync(target)) {
          const page = relative(join(root, "docs"), target).replace(/\.md$/, "");
          if (!absent.includes(page)) problems.push(`${file}: ${link}: no such file`);
          continue;
        }
        if (fragment && target.endsWith(".md") && !anchors(target).has(fragment)) problems.push(`${file}: ${link}: no heading #${fragment}`);
      }
    }
    expect(problems, problems.join("\n")).toEqual([]);
    expect(checked).toBeGreaterThan(30);
  });

  it("the README links into the site for every guide", () => {
    const links = new Set(relativeLinks("README.md").map((l) => l.split("#")[0]));
    for (const page of ["express", "koa", "next", "nestjs", "fastify", "hono", "runtimes", "options", "answers", "signatures", "rotation",
      "operations", "redis", "postgres", "genai", "cli", "testing-your-endpoint", "benchmarks", "releasing", "frameworks"]) {
      expect(links, page).toContain(`docs/${page}.md`);
    }
  });
});
