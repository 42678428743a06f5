import { beforeEach, describe, expect, it } from "vitest";
import { getToken, lastSignInError, startWeChatSignIn, takePendingDevToken, takeTokenFromFragment } from "./auth";

class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length() { return this.items.size; }
  clear() { this.items.clear(); }
  getItem(key: string) { return this.items.get(key) ?? null; }
  key(i: number) { return [...this.items.keys()][i] ?? null; }
  removeItem(key: string) { this.items.delete(key); }
  setItem(key: string, value: string) { this.items.set(key, value); }
}

const replaced: string[] = [];
(globalThis as { history?: unknown }).history = { replaceState: (_s: unknown, _t: string, url: string) => replaced.push(url) };
const at = (path: string, hash: string) => ({ pathname: path, search: "", hash }) as Location;

describe("takeTokenFromFragment", () => {
  let storage: MemoryStorage;
  beforeEach(() => {
    storage = new MemoryStorage();
    replaced.length = 0;
  });

  it("holds the banner link's token until the server confirms dev sign-in", () => {
    expect(takeTokenFromFragment(at("/ui/", "#token=abc"), storage)).toBe(false);
    expect(getToken(storage)).toBeNull();
    expect(replaced).toEqual(["/ui/"]);
    expect(takePendingDevToken(storage)).toBe("abc");
    expect(takePendingDevToken(storage)).toBeNull();
  });

  it("accepts a WeChat answer carrying this tab's state and goes back where it started", () => {
    const url = startWeChatSignIn("https://wechat.example/authorize?appid=x", "/ui/instances/p:1/tasks/t-1", storage);
    const state = /state=([0-9a-f]+)#wechat_redirect$/.exec(url)?.[1];
    expect(state).toMatch(/^[0-9a-f]{24}$/);
    expect(takeTokenFromFragment(at("/ui/", `#token=tok&state=${state}`), storage)).toBe(true);
    expect(getToken(storage)).toBe("tok");
    expect(replaced).toEqual(["/ui/instances/p:1/tasks/t-1"]);
  });

  it("refuses a token whose state this tab did not send", () => {
    startWeChatSignIn("https://wechat.example/authorize?appid=x", "/ui/inbox", storage);
    expect(takeTokenFromFragment(at("/ui/", "#token=evil&state=000000"), storage)).toBe(false);
    expect(getToken(storage)).toBeNull();
    expect(lastSignInError()).toBe("state_mismatch");
  });

  it("reports why a WeChat sign-in failed", () => {
    const url = startWeChatSignIn("https://wechat.example/authorize?appid=x", "/ui/inbox", storage);
    const state = /state=([0-9a-f]+)/.exec(url)?.[1];
    expect(takeTokenFromFragment(at("/ui/", `#error=wechat_unbound&state=${state}`), storage)).toBe(false);
    expect(lastSignInError()).toBe("wechat_unbound");
  });
});
