// Pages that other work provides, linked from this site before they land: docs/postgres.md comes with the
// Postgres package and docs/frameworks.md with the h3 / SvelteKit / Astro / React Router / Elysia recipes.
// While one of them is absent, VitePress's dead-link check and the site test (test/docs/site.test.ts)
// tolerate links to it, and only to it; once the file exists, it is built and checked like any other page.
import { existsSync } from "node:fs";

export const PROVIDED_BY_OTHER_BRANCHES = ["postgres", "frameworks"];

const docs = new URL("..", import.meta.url).pathname;

/** The pages of PROVIDED_BY_OTHER_BRANCHES whose Markdown file is not there (yet). */
export function absentOtherBranchPages() {
  return PROVIDED_BY_OTHER_BRANCHES.filter((page) => !existsSync(`${docs}${page}.md`));
}
