#!/usr/bin/env node
// Packs every publishable package and publishes it (or rehearses the publish).
//
//   node scripts/release.mjs --pack-only   build, then pack each package into dist-tarballs/   (pnpm pack:all)
//   node scripts/release.mjs --dry-run     the same, then `npm publish --dry-run` of each tarball (pnpm release --dry-run)
//   node scripts/release.mjs               the same, then `npm publish` of each tarball, then `changeset tag`
//   --skip-build                            use the packages' dist/ as it is (CI has just built them)
//
// Packages are discovered, not listed: every packages/*/package.json that is not "private". Each must carry
// publishConfig { access: "public", provenance: true }; `pnpm pack` turns its workspace: ranges into the real
// versions. Prints one line per package and exits 1 if any step fails.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const OUT = join(root, "dist-tarballs");

/** Every non-private package under packages/: { dir, name, version, publishConfig }. */
export function publishablePackages() {
  return readdirSync(join(root, "packages"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, "packages", d.name, "package.json")))
    .map((d) => {
      const dir = join(root, "packages", d.name);
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      return { dir, name: pkg.name, version: pkg.version, private: pkg.private === true, publishConfig: pkg.publishConfig, engines: pkg.engines };
    })
    .filter((p) => !p.private)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** What keeps a package from a public publish with provenance, as readable reasons. */
export function publishProblems(pkg) {
  const problems = [];
  if (pkg.publishConfig?.access !== "public") problems.push('publishConfig.access is not "public" (a scoped package would be published as restricted)');
  if (pkg.publishConfig?.provenance !== true) problems.push("publishConfig.provenance is not true (no provenance statement)");
  if (!pkg.engines?.node) problems.push("engines.node is missing (say which Node versions the package supports)");
  return problems;
}

function main(argv) {
  const packOnly = argv.includes("--pack-only");
  const dryRun = argv.includes("--dry-run");
  const skipBuild = argv.includes("--skip-build");
  const unknown = argv.filter((a) => !["--pack-only", "--dry-run", "--skip-build"].includes(a));
  if (unknown.length) {
    console.error(`release: unknown option ${unknown.join(" ")} (use --dry-run, --pack-only, --skip-build)`);
    return 2;
  }
  const packages = publishablePackages();
  const problems = packages.flatMap((p) => publishProblems(p).map((why) => `${p.name}: ${why}`));
  if (problems.length) {
    for (const p of problems) console.error(`release: ${p}`);
    return 1;
  }

  if (!skipBuild) {
    console.log(`==> build (${packages.length} packages)`);
    const build = spawnSync("pnpm", ["-s", "build"], { cwd: root, stdio: "inherit" });
    if (build.status !== 0) return 1;
  }

  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  console.log(`==> pack into ${relative(process.cwd(), OUT) || "."}`);
  const packed = [];
  for (const pkg of packages) {
    const out = execFileSync("pnpm", ["pack", "--pack-destination", OUT], { cwd: pkg.dir, encoding: "utf8" }).trim().split("\n").pop();
    const manifest = JSON.parse(execFileSync("tar", ["-xzOf", out, "package/package.json"], { encoding: "utf8" }));
    const leftover = Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies }).filter(([, range]) => String(range).startsWith("workspace:"));
    if (leftover.length) {
      console.error(`release: ${pkg.name}: the tarball still has workspace: ranges (${leftover.map(([n]) => n).join(", ")})`);
      return 1;
    }
    packed.push({ ...pkg, tarball: out, kb: statSync(out).size / 1024 });
  }
  if (packOnly) {
    for (const p of packed) console.log(`packed  ${p.name}@${p.version}  ${relative(root, p.tarball)}  ${p.kb.toFixed(1)} kB`);
    console.log(`${packed.length} packages packed; install one with: npm i ${relative(root, packed[0].tarball)} …`);
    return 0;
  }

  console.log(dryRun ? "==> npm publish --dry-run (provenance, public access)" : "==> npm publish (provenance, public access)");
  let failed = 0;
  for (const p of packed) {
    const args = ["publish", p.tarball, "--access", "public", "--provenance", ...(dryRun ? ["--dry-run"] : [])];
    const r = spawnSync("npm", args, { cwd: root, encoding: "utf8" });
    const ok = r.status === 0 && (r.stdout.includes(`+ ${p.name}@${p.version}`) || r.stderr.includes(`+ ${p.name}@${p.version}`));
    if (!ok) {
      failed++;
      console.error(`${r.stdout}${r.stderr}`.trim());
    }
    console.log(`${ok ? "ok  " : "FAIL"}  ${p.name}@${p.version}  ${relative(root, p.tarball)}  ${p.kb.toFixed(1)} kB${dryRun ? "  (dry run)" : ""}`);
  }
  if (failed) {
    console.log(`${failed} of ${packed.length} packages failed to ${dryRun ? "rehearse" : "publish"}`);
    return 1;
  }
  if (!dryRun) {
    const tag = spawnSync("pnpm", ["exec", "changeset", "tag"], { cwd: root, stdio: "inherit" });
    if (tag.status !== 0) return 1;
  }
  console.log(`${packed.length} packages ${dryRun ? "ready to publish (dry run)" : "published"}`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(main(process.argv.slice(2)));
