import { runCli } from "../../packages/cli/src/main.js";

/** Polls `check` until it gives a value (not undefined/false), or fails after `timeoutMs` saying what it waited for. */
export async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A writable that keeps what the CLI writes (not a terminal: no colour). */
function capture() {
  const s = { text: "", isTTY: false, write: (c: string) => void (s.text += c) };
  return s;
}

/**
 * Runs a long-running CLI command (listen) in this process, as `gemini-webhooks <argv>` would, until stop().
 * waitFor() polls its output for a pattern.
 */
export function runCliInProcess(argv: string[], env: Record<string, string | undefined> = {}) {
  const stdout = capture();
  const stderr = capture();
  let stopIt!: () => void;
  const stopped = new Promise<void>((r) => (stopIt = r));
  let code: number | undefined;
  const exit = runCli(argv, { stdout, stderr, env }, stopped).then((c) => (code = c));
  return {
    stdout,
    stderr,
    waitFor(re: RegExp, from: "stdout" | "stderr" = "stdout"): Promise<RegExpMatchArray> {
      return until(() => {
        if (code !== undefined) throw new Error(`the command ended (exit ${code}) before ${re}:\n${stdout.text}\n${stderr.text}`);
        return (from === "stdout" ? stdout : stderr).text.match(re) ?? undefined;
      }, `${re} in ${from}:\n${stdout.text}\n${stderr.text}`);
    },
    /** The JSON lines written so far (`--json`). */
    jsonLines(): any[] {
      return stdout.text
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l));
    },
    async stop(): Promise<number> {
      stopIt();
      return exit;
    },
  };
}

/** `listen --json` in process; resolves once it listens, with the addresses from its first line. */
export async function startListen(args: string[], env: Record<string, string | undefined> = {}) {
  const cli = runCliInProcess(["listen", "--port", "0", "--json", ...args], env);
  const [line] = await cli.waitFor(/^\{.*\}$/m);
  const info = JSON.parse(line!) as { listening: string; inspector?: string; forward?: string; secret?: string };
  return { ...cli, info, deliveries: () => cli.jsonLines().slice(1) };
}

/** Runs a CLI command to completion in this process. */
export async function cliOnce(argv: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(argv, { stdout, stderr, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
