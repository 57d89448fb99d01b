import { describe, expect, it } from "vitest";
import { maskUrl, maskUrls, printable, printableJson } from "../src/text.js";

describe("printable", () => {
  it("escapes C0 controls, DEL, C1 controls and bidi overrides; keeps printable text as is", () => {
    expect(printable("a\x1b[2Jb\x07c\rd\u009b1m\u202ee\x7f")).toBe("a\\x1b[2Jb\\x07c\\rd\\u009b1m\\u202ee\\u007f");
    expect(printable("line\nnext\tcol")).toBe("line\\nnext\\tcol");
    expect(printable("line\nnext\tcol\r", { multiline: true })).toBe("line\nnext\tcol\\r");
    expect(printable("héllo ☃ ✓ → batch.succeeded")).toBe("héllo ☃ ✓ → batch.succeeded");
  });

  it("printableJson leaves valid JSON that parses back to the same value", () => {
    const value = { s: "x\u009by\u202ez\x1b", n: 1 };
    const text = printableJson(JSON.stringify(value));
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe("maskUrl", () => {
  it("masks the password (or a lone user token) of any scheme, and leaves other URLs alone", () => {
    expect(maskUrl("redis://user:PW@127.0.0.1:6379/0")).toBe("redis://user:***@127.0.0.1:6379/0");
    expect(maskUrl("rediss://:PW@cache:6380")).toBe("rediss://:***@cache:6380");
    expect(maskUrl("postgres://app:p%40ss@db/x?sslmode=require")).toBe("postgres://app:***@db/x?sslmode=require");
    expect(maskUrl("https://token@jwks.example/.well-known/jwks.json")).toBe("https://***@jwks.example/.well-known/jwks.json");
    expect(maskUrl("http://127.0.0.1:3000/a@b")).toBe("http://127.0.0.1:3000/a@b");
    expect(maskUrl("not a url")).toBe("not a url");
  });

  it("maskUrls masks every URL inside a text", () => {
    expect(maskUrls("connect redis://u:PW@h:1 failed, then postgres://a:b@c/d")).toBe("connect redis://u:***@h:1 failed, then postgres://a:***@c/d");
  });
});
