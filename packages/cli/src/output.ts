/** Where the CLI writes: stdout for results, stderr for progress and errors. */
export interface CliIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Where `--app` modules are resolved from (default: process.cwd()). */
  cwd?: string;
}

/** A usage or runtime error: printed as one line, exit code 2 (usage) or 1 (runtime). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}

export interface Paint {
  enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
}

/** Colour only on a TTY, and never with NO_COLOR set. */
export function colorsFor(stream: { isTTY?: boolean }, env: CliIO["env"]): Paint {
  const enabled = stream.isTTY === true && !env.NO_COLOR && env.TERM !== "dumb";
  const wrap = (open: number, close: number) => (s: string) => (enabled ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    magenta: wrap(35, 39),
  };
}

/** Colours a status by class: 2xx green, 409 yellow, other errors red. */
export function paintStatus(p: Paint, status: number | undefined, text: string): string {
  if (status === undefined) return p.red(text);
  if (status >= 200 && status < 300) return p.green(text);
  if (status === 409) return p.yellow(text);
  return p.red(text);
}

/** A one-line progress display on stderr, redrawn at most every 100 ms; only on a TTY. */
export function progressLine(io: CliIO, render: () => string, delayMs = 400): { stop(): void } {
  if (io.stderr.isTTY !== true) return { stop() {} };
  let shown = false;
  const draw = () => {
    shown = true;
    io.stderr.write(`\r\x1b[2K${render()}`);
  };
  let timer: NodeJS.Timeout | undefined;
  const start = setTimeout(() => {
    draw();
    timer = setInterval(draw, 100);
    timer.unref();
  }, delayMs);
  start.unref();
  return {
    stop() {
      clearTimeout(start);
      if (timer) clearInterval(timer);
      if (shown) io.stderr.write("\r\x1b[2K");
    },
  };
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
