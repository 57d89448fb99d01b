// The API reference: TypeDoc reads the TSDoc of every public entry point of every published package and
// typedoc-plugin-markdown (+ typedoc-vitepress-theme) writes it as Markdown pages into docs/api/ (gitignored),
// with a sidebar that .vitepress/config.mts loads. Packages are discovered, not listed: every non-private
// packages/*/package.json, each "exports" entry mapped from its dist/<name>.d.ts to src/<name>.ts.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;

export function publicEntryPoints() {
  const entries = [];
  for (const dir of readdirSync(join(root, "packages")).sort()) {
    const file = join(root, "packages", dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8"));
    if (pkg.private) continue;
    for (const [subpath, target] of Object.entries(pkg.exports ?? { ".": pkg.types })) {
      if (subpath === "./package.json") continue;
      const types = typeof target === "string" ? target : (target?.import?.types ?? target?.types);
      const name = typeof types === "string" ? /dist\/(.+)\.d\.c?ts$/.exec(types)?.[1] : undefined;
      const source = name && join(root, "packages", dir, "src", `${name}.ts`);
      if (source && existsSync(source)) entries.push({ package: pkg.name, subpath, source });
    }
  }
  return entries;
}

/** @type {Partial<import("typedoc").TypeDocOptions & import("typedoc-plugin-markdown").PluginOptions>} */
export default {
  entryPoints: publicEntryPoints().map((e) => e.source),
  entryPointStrategy: "resolve",
  tsconfig: join(root, "docs/tsconfig.typedoc.json"),
  plugin: ["typedoc-plugin-markdown", "typedoc-vitepress-theme", join(root, "docs/typedoc-names.mjs")],
  out: join(root, "docs/api"),
  docsRoot: join(root, "docs"),
  name: "API reference",
  readme: "none",
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  skipErrorChecking: true,
  hideGenerator: true,
  githubPages: false,
  entryFileName: "index",
  // one page per entry point (members are sections of it): a reference that reads like a page, not 270 small ones
  outputFileStrategy: "modules",
  // explicit anchors: the plugin numbers some anchors ("#senderstats-1") where VitePress numbers none
  useHTMLAnchors: true,
  sidebar: { autoConfiguration: true, format: "vitepress", pretty: false, collapsed: true },
  validation: { notExported: false, invalidLink: false, rewrittenLink: false },
  // "@OnGeminiEvent" in prose reads as an unknown block tag: a warning, not an error
  logLevel: "Error",
};
