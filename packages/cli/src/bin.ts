#!/usr/bin/env node
// The `gemini-webhooks` bin: runs the command line and exits with its code. See `gemini-webhooks --help`.
import { runCli } from "./main.js";

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`error: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
