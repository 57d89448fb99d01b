#!/usr/bin/env node
// Type-checks every ```ts block of the README, the site's pages (docs/**/*.md, but not the generated API
// reference in docs/api/) and the package READMEs as a consumer would: in a
// temporary project whose node_modules holds the PACKED packages (pnpm pack, as npm would install them) and the
// frameworks of test/snippets/package.json, strict, with TypeScript 5.9 and TypeScript 7. A second project checks
// that `redisStore` alone type-checks with skipLibCheck: false and no bullmq installed.
//
// A block that is deliberately partial is marked ```ts nocheck (keep those few). Names a snippet uses for the
// reader's own code (downloadResults, log, …) are declared in SNIPPET_GLOBALS below, nothing else.
// Run after `pnpm build`. Exit 1 on any error, each reported at its Markdown file and line.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const deps = join(root, "test/snippets/node_modules");
const COMPILERS = [
  ["TypeScript 5.9", join(deps, "typescript/bin/tsc")],
  ["TypeScript 7", join(deps, "typescript7/bin/tsc")],
];

/** The reader's own code that snippets call: declared, so everything else must be imported as a user would. */
const SNIPPET_GLOBALS = `
declare function downloadResults(uri: string): Promise<void>;
declare function saveVideo(uri: string | undefined): Promise<void>;
declare const log: { info(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };
declare const metrics: { increment(name: string): void };
declare const audit: { record(event: unknown): void };
declare function save(...what: unknown[]): Promise<void>;
declare function markFailed(key: string | undefined, message: string | undefined): Promise<void>;
`;

/** Folders of docs/ that hold no hand-written page: TypeDoc's output, VitePress's build and cache, dependencies. */
const NOT_PAGES = new Set(["api", "node_modules", ".vitepress"]);

/** The site's Markdown pages, as paths from the repository root ("docs/express.md", "docs/guide/x.md"). */
export function sitePages(dir = "docs") {
  return readdirSync(join(root, dir), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) return NOT_PAGES.has(entry.name) ? [] : sitePages(path);
      return entry.name.endsWith(".md") ? [path] : [];
    });
}

/** Every ```ts block: { file, line (of its first code line), code }. Identical blocks are checked once. */
export function extractSnippets() {
  const files = [
    "README.md",
    ...sitePages(),
    ...readdirSync(join(root, "packages"))
      .filter((p) => existsSync(join(root, "packages", p, "README.md")))
      .map((p) => `packages/${p}/README.md`),
  ];
  const seen = new Map();
  const skipped = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(ts|typescript)(?:\s+(\S+))?\s*$/.exec(lines[i]);
      if (!open) continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
      const code = lines.slice(start, end).join("\n");
      i = end;
      if (open[2] === "nocheck") {
        skipped.push(`${file}:${start}`);
        continue;
      }
      if (!seen.has(code)) seen.set(code, { file, line: start + 1, code, also: [] });
      else seen.get(code).also.push(`${file}:${start + 1}`);
    }
  }
  return { snippets: [...seen.values()], skipped };
}

/** pnpm pack every package and unpack it into `modules`/@gemini-webhooks/<name>, as an install would. */
function installPacked(modules, work) {
  const tarballs = join(work, "tarballs");
  mkdirSync(tarballs, { recursive: true });
  const runtimeDeps = new Map();
  const packed = new Map();
  for (const name of readdirSync(join(root, "packages"))) {
    const dir = join(root, "packages", name);
    if (!existsSync(join(dir, "package.json"))) continue;
    const out = execFileSync("pnpm", ["pack", "--pack-destination", tarballs], { cwd: dir, encoding: "utf8" }).trim().split("\n").pop();
    packed.set(name, out);
    const target = unpack(out, modules, name);
    const pkg = JSON.parse(readFileSync(join(target, "package.json"), "utf8"));
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      if (!dep.startsWith("@gemini-webhooks/")) runtimeDeps.set(dep, realpathSync(join(dir, "node_modules", dep)));
    }
  }
  return { runtimeDeps, packed };
}

function unpack(tarball, modules, name) {
  const target = join(modules, "@gemini-webhooks", name);
  mkdirSync(target, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"]);
  return target;
}

function link(modules, name, target) {
  const at = join(modules, name);
  if (existsSync(at)) return;
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(target, at, "dir");
}

/** The frameworks a consumer installs (test/snippets/package.json), linked in; `except` left out. */
function linkFrameworks(modules, except = []) {
  for (const entry of readdirSync(deps)) {
    if (entry.startsWith(".") || entry === "typescript" || entry === "typescript7") continue;
    const names = entry.startsWith("@") ? readdirSync(join(deps, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) if (!except.includes(name)) link(modules, name, realpathSync(join(deps, name)));
  }
}

const TSCONFIG = (extra) => ({
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2022", "DOM", "DOM.Iterable"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    types: ["node"],
    ...extra,
  },
  include: ["snippets/**/*.ts", "globals.d.ts"],
});

function project(dir, files, tsconfigExtra) {
  mkdirSync(join(dir, "snippets"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG(tsconfigExtra), null, 2));
  writeFileSync(join(dir, "globals.d.ts"), SNIPPET_GLOBALS);
  for (const [name, text] of files) {
    mkdirSync(dirname(join(dir, "snippets", name)), { recursive: true });
    writeFileSync(join(dir, "snippets", name), text);
  }
}

/** One compiler run: its diagnostics as [file under snippets/ | undefined, line, message]. */
function run(tsc, dir, project) {
  const r = spawnSync(process.execPath, [tsc, "-p", project, "--pretty", "false"], { cwd: dir, encoding: "utf8" });
  const out = `${r.stdout}${r.stderr}`.trim();
  if (r.status === 0) return [];
  const lines = out.split("\n").filter((l) => l.trim());
  if (lines.length === 0) return [[undefined, 0, `exited ${r.status} with no output`]];
  return lines.map((l) => {
    const m = /^snippets\/([^(]+)\((\d+),(\d+)\): (.*)$/.exec(l.replaceAll("\\", "/"));
    return m ? [m[1], Number(m[2]), m[4]] : [undefined, 0, l];
  });
}

/**
 * Runs each compiler on the project; returns "where: message" lines, mapped back through `locate`. tsc stops
 * at syntax errors (TS1xxx) without checking types anywhere, so files with one are reported, then left out
 * of a second run that checks the types of all the others.
 */
function typecheck(dir, locate) {
  const errors = [];
  const tsconfig = JSON.parse(readFileSync(join(dir, "tsconfig.json"), "utf8"));
  for (const [label, tsc] of COMPILERS) {
    let found = run(tsc, dir, "tsconfig.json");
    const broken = [...new Set(found.filter(([f, , msg]) => f && /error TS1\d{3}:/.test(msg)).map(([f]) => f))];
    if (broken.length) {
      writeFileSync(join(dir, "tsconfig.rest.json"), JSON.stringify({ ...tsconfig, exclude: broken.map((f) => `snippets/${f}`) }));
      found = [...found.filter(([f]) => broken.includes(f)), ...run(tsc, dir, "tsconfig.rest.json")];
    }
    for (const [file, line, msg] of found) errors.push(file ? `${label}  ${locate(file, line)}  ${msg}` : `${label}  ${msg}`);
  }
  return errors;
}

export function checkSnippets({ keep = false } = {}) {
  const work = mkdtempSync(join(tmpdir(), "gw-snippets-"));
  try {
    const { snippets, skipped } = extractSnippets();
    // 1. every snippet, in a consumer project with all the packed packages and frameworks
    const consumer = join(work, "consumer");
    const modules = join(consumer, "node_modules");
    const { runtimeDeps, packed } = installPacked(modules, work);
    linkFrameworks(modules);
    for (const [name, target] of runtimeDeps) link(modules, name, target);
    const byFile = new Map();
    const files = snippets.map((s) => {
      // one folder per Markdown file; a block whose first line is "// app.module.ts" is that file, so the
      // blocks of one page can import each other as the reader's files would ("./app.module.js")
      const named = /^\/\/ ([\w.-]+\.ts)\b/.exec(s.code);
      const name = `${s.file.replace(/[/.]/g, "_")}/${named ? named[1] : `line-${s.line}.ts`}`;
      byFile.set(name, s);
      const isModule = /^\s*(import|export)\s/m.test(s.code);
      return [name, `${s.code}\n${isModule ? "" : "export {};\n"}`];
    });
    project(consumer, files);
    const locate = (name, line) => {
      const s = byFile.get(name);
      return s ? `${s.file}:${s.line + line - 1}${s.also.length ? ` (also ${s.also.join(", ")})` : ""}` : `${name}:${line}`;
    };
    const errors = typecheck(consumer, locate);

    // 2. redisStore alone: skipLibCheck false, no bullmq anywhere (its own unpacked copies: a link into the first
    // project would resolve "bullmq" from there)
    const redisOnly = join(work, "redis-only");
    const redisModules = join(redisOnly, "node_modules");
    for (const name of ["core", "redis"]) unpack(packed.get(name), redisModules, name);
    for (const name of ["ioredis", "redis", "@types/node"]) link(redisModules, name, realpathSync(join(deps, name)));
    for (const [name, target] of runtimeDeps) link(redisModules, name, target);
    project(
      redisOnly,
      [
        [
          "redis-store.ts",
          `import { Redis } from "ioredis";
import { createClient } from "redis";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { RedisTimeoutError, redisStore, type RedisStore } from "@gemini-webhooks/redis";
const a: RedisStore = redisStore(new Redis({ lazyConnect: true }));
const b: RedisStore = redisStore(createClient());
export const webhooks = createGeminiWebhooks({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", idempotency: a });
export const isTimeout = (e: unknown) => e instanceof RedisTimeoutError || b === a;
`,
        ],
      ],
      { skipLibCheck: false, experimentalDecorators: false, emitDecoratorMetadata: false },
    );
    errors.push(...typecheck(redisOnly, (name, line) => `redisStore without bullmq (${name}:${line})`));
    return { snippets: snippets.length, skipped, errors, dir: work };
  } finally {
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { snippets, skipped, errors, dir } = checkSnippets({ keep: process.argv.includes("--keep") });
  for (const e of errors) console.log(e);
  console.log(`${snippets} snippets checked with ${COMPILERS.map(([l]) => l).join(" and ")}, ${skipped.length} marked nocheck (${skipped.join(", ")}): ${errors.length} error(s)`);
  if (process.argv.includes("--keep")) console.log(`project kept in ${relative(process.cwd(), dir)}`);
  process.exit(errors.length ? 1 : 0);
}
