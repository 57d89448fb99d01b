export { runCli } from "./main.js";
export type { CliIO } from "./output.js";
