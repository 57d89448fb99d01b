import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { createTestIssuer } from "@gemini-webhooks/testing";
import type { SenderIssuer } from "@gemini-webhooks/testing";
import { CliError, type CliIO } from "./output.js";

/** Where `--dynamic` keeps its test keys unless --keys says otherwise. */
export const DEFAULT_ISSUER_PORT = 3939;
export const DEFAULT_AUDIENCE = "gemini-webhooks-local";
export const DEFAULT_ISSUER = "https://gemini-webhooks.local";

export function defaultJwksUri(port = DEFAULT_ISSUER_PORT): string {
  return `http://127.0.0.1:${port}/.well-known/jwks.json`;
}

export function defaultKeysPath(env: CliIO["env"]): string {
  if (env.GEMINI_WEBHOOKS_KEYS) return env.GEMINI_WEBHOOKS_KEYS;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || env.USERPROFILE || homedir(), ".config");
  return join(base, "gemini-webhooks", "test-issuer.json");
}

interface StoredKey {
  kid: string;
  jwk: Record<string, unknown>;
}
interface KeyFile {
  note: string;
  ed25519: StoredKey;
  rsa: StoredKey;
}

interface LoadedKey {
  kid: string;
  privateKey: KeyObject;
}

function load(k: StoredKey): LoadedKey {
  return { kid: k.kid, privateKey: createPrivateKey({ key: k.jwk as never, format: "jwk" }) };
}

/**
 * Test keys kept in a file, so the receiver's cached JWKS stays valid from one `trigger --dynamic` to the
 * next (a receiver refetches an unknown key set only after a cooldown). Created on first use (mode 600).
 */
export function loadOrCreateKeys(path: string): { ed25519: LoadedKey; rsa: LoadedKey; created: boolean } {
  let file: KeyFile | undefined;
  let created = false;
  try {
    file = JSON.parse(readFileSync(path, "utf8")) as KeyFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new CliError(`cannot read the test keys in ${path}: ${(e as Error).message} (delete the file to make new ones)`, 1);
  }
  if (!file) {
    const id = randomBytes(4).toString("hex");
    const ed = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" }) as Record<string, unknown>;
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" }) as Record<string, unknown>;
    file = {
      note: "Private TEST keys of `gemini-webhooks trigger --dynamic`. Never trust them outside local testing.",
      ed25519: { kid: `local-ed25519-${id}`, jwk: ed },
      rsa: { kid: `local-rsa-${id}`, jwk: rsa },
    };
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    } catch (e) {
      throw new CliError(`cannot write the test keys to ${path}: ${(e as Error).message} (pass --keys FILE)`, 1);
    }
    created = true;
  }
  try {
    return { ed25519: load(file.ed25519), rsa: load(file.rsa), created };
  } catch (e) {
    throw new CliError(`the test keys in ${path} are damaged: ${(e as Error).message} (delete the file to make new ones)`, 1);
  }
}

export interface LocalIssuer {
  jwksUri: string;
  audience: string;
  issuer: string;
  keysPath: string;
  created: boolean;
  signer: SenderIssuer;
  close(): Promise<void>;
}

/** Serves the public half of the test keys on 127.0.0.1 for as long as the run lasts (createTestIssuer), and signs with them. */
export async function startLocalIssuer(opts: { keysPath: string; port: number; audience: string; issuer: string }): Promise<LocalIssuer> {
  const keys = loadOrCreateKeys(opts.keysPath);
  const issuer = await createTestIssuer({ keys, port: opts.port, audience: opts.audience, issuer: opts.issuer }).catch((e: NodeJS.ErrnoException) => {
    throw e.code === "EADDRINUSE"
      ? new CliError(`--issuer-port ${opts.port} is in use (another trigger --dynamic running?); pass another --issuer-port and the same in the receiver's jwks.uri`, 1)
      : e;
  });
  const signer: SenderIssuer = {
    signV1a: (input) => issuer.signV1a(input),
    signJwt: ({ signWith: _ignored, ...input }) => issuer.signJwt(input), // always RS256, the scheme Gemini documents
  };
  return {
    jwksUri: issuer.jwksUri,
    audience: opts.audience,
    issuer: opts.issuer,
    keysPath: opts.keysPath,
    created: keys.created,
    signer,
    close: () => issuer.close(),
  };
}
