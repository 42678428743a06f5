import { describe, expect, it } from "vitest";
import { decodeClaims } from "./auth";
import { preferredLang, translate } from "./i18n";
import { en } from "./i18n/en";
import { zhCN } from "./i18n/zh-CN";
import { deployContentType, fillPath, withQuery } from "./api/client";

const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "");
const token = (claims: object) => `${b64({ alg: "HS256" })}.${b64(claims)}.sig`;

describe("decodeClaims", () => {
  it("reads sub and groups from a live token", () => {
    expect(decodeClaims(token({ sub: "alice", groups: ["admin"], exp: 2000 }), 1000)).toEqual({ sub: "alice", groups: ["admin"], exp: 2000 });
  });
  it("refuses an expired or malformed token", () => {
    expect(decodeClaims(token({ sub: "alice", exp: 10 }), 1000)).toBeNull();
    expect(decodeClaims("not-a-jwt", 1000)).toBeNull();
    expect(decodeClaims(null)).toBeNull();
  });
});

describe("languages", () => {
  it("follows the browser unless a choice was stored", () => {
    expect(preferredLang(null, ["en-US", "zh-CN"])).toBe("en");
    expect(preferredLang(null, ["zh-TW"])).toBe("zh-CN");
    expect(preferredLang("en", ["zh-CN"])).toBe("en");
    expect(preferredLang(null, ["fr"])).toBe("zh-CN");
  });
  it("has every English message in Chinese, with the same placeholders", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      const names = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect(names(zhCN[key]), key).toEqual(names(en[key]));
    }
  });
  it("fills placeholders", () => {
    expect(translate("en", "pager.page", { n: 2, total: 5 })).toBe("Page 2 of 5");
    expect(translate("zh-CN", "inbox.count", { count: 3 })).toBe("3 个待办");
  });
});

describe("api paths", () => {
  it("encodes instance ids into schema paths", () => {
    expect(fillPath("/api/v1/instances/{instance_id}", { instance_id: "purchase:PO/1" })).toBe("/api/v1/instances/purchase%3APO%2F1");
    expect(() => fillPath("/api/v1/instances/{instance_id}")).toThrow();
    expect(withQuery("/x", { a: 1, b: undefined, c: "" })).toBe("/x?a=1");
  });
  it("deploys a Camunda Form as JSON and BPMN or DMN as XML", () => {
    expect(deployContentType('\uFEFF  {"id": "f", "components": []}')).toBe("application/json");
    expect(deployContentType('<?xml version="1.0"?><definitions/>')).toBe("application/xml");
  });
});
