import { describe, expect, it } from "vitest";
import type { Task } from "./api/client";
import { documentsIn, dueState, inboxRows, ocrFields, page, percent, requestFields } from "./format";

const now = new Date("2026-12-02T12:00:00Z");
const task = (over: Partial<Task>): Task => ({
  instance_id: "p:1", task_id: "t-1", ref: "AAAAAA", node_id: "Task_A", process_id: "p", created_at: "2026-12-01T00:00:00Z", ...over,
}) as Task;

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

describe("inboxRows", () => {
  const rows = [
    task({ task_id: "late", due_at: "2026-12-01T00:00:00Z", process_id: "expense" }),
    task({ task_id: "nodue", created_at: "2026-11-01T00:00:00Z" }),
    task({ task_id: "soon", due_at: "2026-12-03T00:00:00Z", ai: { decision: "approve", confidence: 0.9, provider: "local", model: "m", cached: false } }),
  ];
  it("puts overdue first, then the soonest due, then tasks without a due date", () => {
    expect(inboxRows(rows, {}, now).map((t) => t.task_id)).toEqual(["late", "soon", "nodue"]);
  });
  it("puts urgent and high tasks before the rest, whatever their due dates", () => {
    const ranked = [...rows, task({ task_id: "urgent", priority: "urgent" }), task({ task_id: "low", priority: "low", due_at: "2026-11-01T00:00:00Z" })];
    expect(inboxRows(ranked, {}, now).map((t) => t.task_id)).toEqual(["urgent", "late", "soon", "nodue", "low"]);
  });
  it("filters by process, overdue and the AI's advice", () => {
    expect(inboxRows(rows, { process: "expense" }, now).map((t) => t.task_id)).toEqual(["late"]);
    expect(inboxRows(rows, { overdue: true }, now).map((t) => t.task_id)).toEqual(["late"]);
    expect(inboxRows(rows, { advice: "approve" }, now).map((t) => t.task_id)).toEqual(["soon"]);
    expect(inboxRows(rows, { advice: "none" }, now).map((t) => t.task_id)).toEqual(["late", "nodue"]);
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
