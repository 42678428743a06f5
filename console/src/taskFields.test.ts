import { describe, expect, it } from "vitest";
import { dateInputValue, fieldLabel, fieldVariables, initialValue, initialValues, inputKind, type FormField } from "./taskFields";

const field = (over: Partial<FormField> & { id: string }): FormField => ({ type: "string", required: false, writable: true, values: [], ...over });

describe("inputKind", () => {
  it("shows each Camunda 7 and Flowable type with its input", () => {
    expect(inputKind("string")).toBe("text");
    expect(inputKind("long")).toBe("number");
    expect(inputKind("integer")).toBe("number");
    expect(inputKind("double")).toBe("number");
    expect(inputKind("boolean")).toBe("checkbox");
    expect(inputKind("date")).toBe("date");
    expect(inputKind("enum")).toBe("select");
  });
  it("shows a type it does not know as text", () => {
    expect(inputKind("user")).toBe("text");
    expect(inputKind(undefined)).toBe("text");
  });
});

describe("dateInputValue", () => {
  it("reads Camunda 7's dd/MM/yyyy and ISO dates", () => {
    expect(dateInputValue("31/12/2026")).toBe("2026-12-31");
    expect(dateInputValue("1/2/2026")).toBe("2026-02-01");
    expect(dateInputValue("2026-12-31")).toBe("2026-12-31");
    expect(dateInputValue("2026-12-31T08:00:00Z")).toBe("2026-12-31");
  });
  it("has nothing for text that is no day", () => {
    expect(dateInputValue("31/02/2026")).toBe("");
    expect(dateInputValue("12/31/2026")).toBe("");
    expect(dateInputValue("tomorrow")).toBe("");
    expect(dateInputValue("")).toBe("");
  });
});

describe("initialValue", () => {
  it("starts from the default, typed for its input", () => {
    expect(initialValue(field({ id: "n", type: "long", default: "1000" }), undefined)).toBe("1000");
    expect(initialValue(field({ id: "b", type: "boolean", default: "true" }), undefined)).toBe(true);
    expect(initialValue(field({ id: "b", type: "boolean" }), undefined)).toBe(false);
    expect(initialValue(field({ id: "d", type: "date", default: "31/12/2026" }), undefined)).toBe("2026-12-31");
    expect(initialValue(field({ id: "s", default: "ok" }), undefined)).toBe("ok");
    expect(initialValue(field({ id: "s" }), undefined)).toBe("");
  });
  it("prefers the instance's variable of the same name", () => {
    expect(initialValue(field({ id: "amount", type: "long", default: "1" }), 1200)).toBe("1200");
    expect(initialValue(field({ id: "urgent", type: "boolean", default: "true" }), false)).toBe(false);
    expect(initialValue(field({ id: "note", default: "x" }), null)).toBe("x");
  });
  it("leaves out a default that is an expression, or not one of an enum's values", () => {
    expect(initialValue(field({ id: "who", default: "${initiator}" }), undefined)).toBe("");
    const values = [{ id: "travel", name: "Travel" }];
    expect(initialValue(field({ id: "c", type: "enum", values, default: "travel" }), undefined)).toBe("travel");
    expect(initialValue(field({ id: "c", type: "enum", values, default: "food" }), undefined)).toBe("");
    expect(initialValue(field({ id: "n", type: "long", default: "many" }), undefined)).toBe("");
  });
  it("fills every field", () => {
    expect(initialValues([field({ id: "a", default: "1" }), field({ id: "b", type: "boolean" })], { a: "2" })).toEqual({ a: "2", b: false });
  });
});

describe("fieldVariables", () => {
  const fields = [
    field({ id: "note" }),
    field({ id: "amount", type: "long", required: true }),
    field({ id: "rate", type: "double" }),
    field({ id: "urgent", type: "boolean" }),
    field({ id: "pay_by", type: "date" }),
    field({ id: "category", type: "enum", values: [{ id: "travel" }] }),
    field({ id: "invoice", writable: false, default: "INV-7" }),
  ];
  it("sends numbers as numbers, booleans as booleans and dates as yyyy-mm-dd", () => {
    const check = fieldVariables(fields, { note: "fine", amount: "1200", rate: "0.5", urgent: true, pay_by: "2026-12-31", category: "travel", invoice: "INV-7" });
    expect(check).toEqual({ variables: { note: "fine", amount: 1200, rate: 0.5, urgent: true, pay_by: "2026-12-31", category: "travel" }, missing: [], invalid: [] });
  });
  it("never sends a read-only field", () => {
    expect(fieldVariables(fields, { amount: "1", invoice: "INV-8" }).variables).not.toHaveProperty("invoice");
  });
  it("leaves out empty optional fields and sends an unticked checkbox as false", () => {
    expect(fieldVariables(fields, { amount: "1", note: "  " }).variables).toEqual({ amount: 1, urgent: false });
  });
  it("names the required fields left empty", () => {
    expect(fieldVariables(fields, { amount: "" }).missing.map((f) => f.id)).toEqual(["amount"]);
  });
  it("refuses a fraction for a whole-number type and text that is no number", () => {
    expect(fieldVariables(fields, { amount: "1.5", rate: "x" }).invalid.map((f) => f.id)).toEqual(["amount", "rate"]);
  });
});

describe("fieldLabel", () => {
  it("is the label, else the id", () => {
    expect(fieldLabel(field({ id: "a", label: "Amount" }))).toBe("Amount");
    expect(fieldLabel(field({ id: "a", label: null }))).toBe("a");
  });
});
