import { generateSecret, generateV1aKeyPair } from "@gemini-webhooks/testing";
import { MIN_SECRET_BYTES, num, parse } from "./args.js";
import { deadLetters } from "./dead-letters.js";
import { doctorCommand } from "./doctor.js";
import { HELP } from "./help.js";
import { listen } from "./listen.js";
import { postgresCommand } from "./postgres.js";
import { CliError, colorsFor, type CliIO } from "./output.js";
import { sign } from "./sign.js";
import { maskUrls, printable } from "./text.js";
import { trigger } from "./trigger.js";
import { webhooksCommand } from "./webhooks.js";

declare const __VERSION__: string | undefined;

function secret(args: string[], io: CliIO, showHelp: () => number): number {
  const p = parse("secret", args, { bytes: { type: "string" }, v1a: { type: "boolean" }, json: { type: "boolean" } });
  if (p.values.help) return showHelp();
  if (p.positionals.length) throw new CliError(`secret takes no arguments, got "${p.positionals.join(" ")}"`);
  if (p.values.v1a) {
    // Standard Webhooks v1a: the sender signs with whsk_…, the receiver verifies with whpk_… (its publicKey option)
    if (p.values.bytes !== undefined) throw new CliError("--bytes is for whsec_ secrets; a v1a key pair is always Ed25519");
    const pair = generateV1aKeyPair();
    io.stdout.write(p.values.json ? `${JSON.stringify(pair)}\n` : `${pair.secretKey}\n${pair.publicKey}\n`);
    return 0;
  }
  const secret = generateSecret(num(p, "bytes", 32, MIN_SECRET_BYTES, 64, true));
  io.stdout.write(p.values.json ? `${JSON.stringify({ secret })}\n` : `${secret}\n`);
  return 0;
}

/**
 * The `gemini-webhooks` command. Returns the exit code: 0 ok, 1 runtime failure (a delivery failed),
 * 2 bad usage. Errors are printed as one line on stderr.
 */
export async function runCli(argv: string[], io: CliIO, stop?: Promise<unknown>): Promise<number> {
  const [command, ...rest] = argv;
  const help = (topic: string) => () => {
    io.stdout.write(HELP[topic]!);
    return 0;
  };
  try {
    switch (command) {
      case undefined:
        io.stderr.write(HELP.main!);
        throw new CliError("missing command (trigger, listen, sign, secret, dead-letters, replay, postgres, doctor or webhooks)");
      case "-h":
      case "--help":
        return help("main")();
      case "help": {
        const topic = rest[0];
        if (topic !== undefined && !(topic in HELP && topic !== "main")) throw new CliError(`no help for "${topic}": commands are trigger, listen, sign, secret, dead-letters, replay, postgres, doctor, webhooks`);
        return help(topic ?? "main")();
      }
      case "-v":
      case "--version":
        io.stdout.write(`${typeof __VERSION__ === "string" ? __VERSION__ : "dev"}\n`);
        return 0;
      case "trigger":
        return await trigger(rest, io, help("trigger"));
      case "listen":
        return await listen(rest, io, help("listen"), stop);
      case "sign":
        return sign(rest, io, help("sign"));
      case "secret":
        return secret(rest, io, help("secret"));
      case "dead-letters":
        return await deadLetters(rest, io, help("dead-letters"));
      case "replay":
        // shorthand for "dead-letters replay": re-deliver failed deliveries kept in Redis or Postgres to the app
        return await deadLetters(["replay", ...rest], io, help("replay"));
      case "postgres":
        return await postgresCommand(rest, io, help("postgres"));
      case "doctor":
        return await doctorCommand(rest, io, help("doctor"));
      case "webhooks":
        return await webhooksCommand(rest, io, help("webhooks"));
      default:
        throw new CliError(`unknown command "${printable(command)}": use trigger, listen, sign, secret, dead-letters, replay, postgres, doctor or webhooks (gemini-webhooks --help)`);
    }
  } catch (e) {
    const c = colorsFor(io.stderr, io.env);
    // a message may quote a URL or text from outside: masked and escaped like everything else printed
    const message = printable(maskUrls((e as Error)?.message ?? String(e)));
    io.stderr.write(`${c.red("error:")} ${message}\n`);
    if (e instanceof CliError) return e.exitCode;
    return 1;
  }
}
