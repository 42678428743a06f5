import { describe, expect, it } from "vitest";
import { documentsIn, dueState, inboxQuery, nextTrail, ocrFields, page, percent, requestFields } from "./format";

const now = new Date("2026-12-02T12:00:00Z");

describe("dueState", () => {
  it("says how long until a due date, in the largest sensible unit", () => {
    expect(dueState("2026-12-02T15:00:00Z", now)).toEqual({ overdue: false, amount: 3, unit: "h" });
    expect(dueState("2026-12-02T12:20:00Z", now)).toEqual({ overdue: false, amount: 20, unit: "m" });
  });
  it("marks a past due date overdue", () => {
    expect(dueState("2026-11-28T12:00:00Z", now)).toEqual({ overdue: true, amount: 4, unit: "d" });
  });
  it("has nothing to say without a due date", () => {
    expect(dueState(null, now)).toBeNull();
  });
});

describe("percent", () => {
  it("rounds and clamps a confidence", () => {
    expect(percent(0.876)).toBe("88%");
    expect(percent(1.2)).toBe("100%");
    expect(percent(undefined)).toBe("—");
  });
});

describe("inboxQuery", () => {
  it("asks the API for one page, newest first by default", () => {
    expect(inboxQuery({})).toEqual({ page_size: 20, limit: 1000, sort: "newest", process_id: undefined, overdue: undefined, advice: undefined, q: undefined, page_token: undefined });
  });
  it("passes the filters, the order and the page's token", () => {
    const q = inboxQuery({ process: "expense", overdue: true, advice: "none", text: "  chair ", sort: "due" }, "abc");
    expect(q).toMatchObject({ sort: "due", process_id: "expense", overdue: true, advice: "none", q: "chair", page_token: "abc" });
  });
});

describe("nextTrail", () => {
  it("walks forward by the API's tokens and back to the first page", () => {
    let trail: (string | undefined)[] = [undefined];
    trail = nextTrail(trail, "next", "t1");
    trail = nextTrail(trail, "next", "t2");
    expect(trail).toEqual([undefined, "t1", "t2"]);
    expect(nextTrail(trail, "next", null)).toEqual(trail);
    trail = nextTrail(nextTrail(trail, "previous"), "previous");
    expect(trail).toEqual([undefined]);
    expect(nextTrail(trail, "previous")).toEqual([undefined]);
  });
});

describe("page", () => {
  it("cuts a page and keeps the index in range", () => {
    const rows = Array.from({ length: 45 }, (_, i) => i);
    expect(page(rows, 2, 20)).toEqual({ rows: [40, 41, 42, 43, 44], pages: 3, index: 2 });
    expect(page(rows, 9, 20).index).toBe(2);
    expect(page([], 0, 20)).toEqual({ rows: [], pages: 1, index: 0 });
  });
});

describe("documents and fields", () => {
  const receipt = { document_id: "d1", sha256: "x", size: 3, content_type: "image/png", name: "r.png" };
  const variables = { amount: 86, receipt, receipt_ocr: { total: 86, merchant: "Taxi", text: "long", lines: [] } };
  it("finds document references and keeps them out of the request fields", () => {
    expect(documentsIn(variables)).toEqual([{ variable: "receipt", doc: receipt }]);
    expect(requestFields(variables)).toEqual([["amount", "86"]]);
  });
  it("shows the OCR fields of a document beside it, without the raw text", () => {
    expect(ocrFields(variables, "receipt")).toEqual([["total", "86"], ["merchant", "Taxi"]]);
  });
});
