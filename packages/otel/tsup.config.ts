import { readFile } from "node:fs/promises";
import { packageBuild } from "../tsup.shared.js";

const { version } = JSON.parse(await readFile(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

// No Node API: the hooks run wherever core runs (Node, edge runtimes). The version names the instrumentation scope.
export default packageBuild({ platform: "neutral", define: { __VERSION__: JSON.stringify(version) } });
