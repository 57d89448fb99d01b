import { describe, expect, it } from "vitest";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { generateSecret } from "@gemini-webhooks/testing";
import { cliOnce, startListen } from "../../../test/support/cli.js";

const REASON = /No signature matched/g;
const occurrences = (text: string) => text.match(REASON)?.length ?? 0;

describe("gemini-webhooks trigger: a failed delivery's reason", { timeout: 30_000 }, () => {
  it("is printed once, whatever the number of attempts; stderr is one line", async () => {
    const l = await startListen(["--secret", generateSecret()]);
    try {
      const url = `${l.info.listening}/gemini-callback`;
      for (const attempts of ["1", "3"]) {
        const r = await cliOnce(["trigger", "batch.succeeded", "--url", url, "--secret", generateSecret(), "--max-attempts", attempts, "--time-scale", "0"]);
        expect(r.code).toBe(1);
        // the receiver's ~200-character reason, once in everything the user sees
        expect(occurrences(r.stdout + r.stderr)).toBe(1);
        expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
        expect(r.stderr).toMatch(new RegExp(`^error: delivery failed after ${attempts} attempts?: 400 signature_mismatch \\(is --secret the receiver's secret\\?\\)\\n$`));
        // every attempt still has its line on stdout
        expect(r.stdout.match(/^ {2}attempt \d/gm)).toHaveLength(Number(attempts));
      }
      // --quiet prints no attempt lines: then the error line carries the reason
      const q = await cliOnce(["trigger", "batch.succeeded", "--url", url, "--secret", generateSecret(), "--max-attempts", "2", "--time-scale", "0", "--quiet"]);
      expect(q.code).toBe(1);
      expect(q.stdout).toBe("");
      expect(q.stderr.split("\n").filter(Boolean)).toHaveLength(1);
      expect(occurrences(q.stderr)).toBe(1);
    } finally {
      await l.stop();
    }
  });
});

describe("secret sizes: the generator makes what --secret and the receiver accept", () => {
  it("secret --bytes 16..64; a 16-byte secret signs and verifies; 15 is refused by both", async () => {
    const s = await cliOnce(["secret", "--bytes", "16"]);
    expect(s.code).toBe(0);
    const secret = s.stdout.trim();
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(16);
    expect(() => createGeminiWebhooks({ secret })).not.toThrow();
    expect((await cliOnce(["sign", "batch.succeeded", "--secret", secret])).code).toBe(0);
    expect(Buffer.from(JSON.parse((await cliOnce(["secret", "--bytes", "64", "--json"])).stdout).secret.slice(6), "base64")).toHaveLength(64);

    // below the receiver's minimum: the generator and --secret both refuse, with the same bound
    const tooShort = `whsec_${Buffer.alloc(15, 1).toString("base64")}`;
    expect(() => createGeminiWebhooks({ secret: tooShort })).toThrow(/at least 16/);
    const g = await cliOnce(["secret", "--bytes", "15"]);
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/^error: --bytes must be an integer from 16 to 64/);
    const t = await cliOnce(["trigger", "batch.succeeded", "--secret", tooShort]);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/^error: --secret is not a signing secret: expected whsec_ followed by base64 of 16 bytes or more/);
    expect((await cliOnce(["secret", "--bytes", "65"])).code).toBe(2);

    // the help says so
    expect((await cliOnce(["secret", "--help"])).stdout).toContain("(default 32, 16..64)");
    for (const command of ["trigger", "sign", "listen"]) expect((await cliOnce([command, "--help"])).stdout).toMatch(/--secret whsec_…[^]*base64 of\s+16 bytes or more/);
  });
});
