import { expect, it } from "vitest";
import { base64url, pkceChallenge, redirectUri } from "./oidc";

it("derives the S256 challenge of RFC 7636's example verifier", async () => {
  expect(await pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
});

it("base64url-encodes without padding", () => {
  expect(base64url(new Uint8Array([251, 255, 0]))).toBe("-_8A");
});

it("returns to the console's root", () => {
  expect(redirectUri("https://approvals.example.com")).toBe("https://approvals.example.com/ui/");
});
