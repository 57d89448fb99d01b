#!/usr/bin/env node
// The `gemini-webhooks` bin: runs the command line and exits with its code. See `gemini-webhooks --help`.
import { runCli } from "./main.js";

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
    // An --app module may hold open handles of its own (a Redis client, a pool, a timer): the command is
    // done, so do not wait for the app to let go of them.
    if (process.argv.includes("--app")) process.exit(code);
  },
  (e: unknown) => {
    process.stderr.write(`error: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
