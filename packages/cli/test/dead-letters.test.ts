import { describe, expect, it } from "vitest";
import { generateSecret } from "@gemini-webhooks/testing";
import { cliOnce } from "../../../test/support/cli.js";

// Credentials in a URL the CLI prints are masked: the Redis URL of dead-letters (option, $REDIS_URL, the
// "bad --redis-url" message), a JWKS uri, an endpoint.
const PW = "s3cr3t-PW";

describe("dead-letters: credentials never printed", () => {
  it("--redis-url with a password: the connection error masks it", async () => {
    const r = await cliOnce(["dead-letters", "list", "--redis-url", `redis://user:${PW}@127.0.0.1:1/0`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot connect to Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:1\/0/);
    expect(r.stdout + r.stderr).not.toContain(PW);
  });

  it("$REDIS_URL with a password: masked too", async () => {
    const r = await cliOnce(["dead-letters", "list"], { REDIS_URL: `rediss://:${PW}@127.0.0.1:1` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(":***@127.0.0.1:1");
    expect(r.stdout + r.stderr).not.toContain(PW);
  });

  it("the bad --redis-url message masks the password", async () => {
    const r = await cliOnce(["dead-letters", "list", "--redis-url", `http://admin:${PW}@cache.internal:6379`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: bad --redis-url "http:\/\/admin:\*\*\*@cache\.internal:6379"/);
    expect(r.stderr).not.toContain(PW);
  });

  it("a JWKS uri or an endpoint with credentials: masked in every message", async () => {
    const jwks = await cliOnce(["listen", "--port", "0", "--secret", generateSecret(), "--jwks-uri", `http://user:${PW}@127.0.0.1:9/jwks.json`]);
    expect(jwks.code).not.toBe(0);
    expect(jwks.stdout + jwks.stderr).not.toContain(PW);
    const trigger = await cliOnce(["trigger", "batch.succeeded", "--url", `http://user:${PW}@127.0.0.1:1/x`, "--secret", generateSecret(), "--max-attempts", "1"]);
    expect(trigger.code).toBe(2);
    expect(trigger.stderr).toContain("http://user:***@127.0.0.1:1/x");
    expect(trigger.stdout + trigger.stderr).not.toContain(PW);
  });
});
