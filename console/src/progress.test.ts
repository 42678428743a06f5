import { describe, expect, it } from "vitest";
import type { Instance } from "./api/client";
import { currentSteps, historyOf, nodeStates } from "./progress";

const instance = {
  status: "running",
  timeline: [
    { at: "2026-12-01T00:00:00Z", event: "started", node_id: "Start" },
    { at: "2026-12-01T00:00:01Z", event: "task_opened", node_id: "Task_Manager" },
    { at: "2026-12-01T00:00:02Z", event: "service_failed", node_id: "Task_Http" },
  ],
  tasks: [
    { task_id: "m-1", ref: "A", node_id: "Task_Manager", name: "Manager approves", status: "open", assignee: "bob", created_at: "2026-12-01T00:00:01Z" },
    { task_id: "f-1", ref: "B", node_id: "Task_Finance", status: "open", candidate_groups: ["finance"], created_at: "2026-12-01T00:00:01Z" },
  ],
  incidents: [{ node_id: "Task_Http", kind: "activity_failed", message: "boom", at: "2026-12-01T00:00:02Z" }],
} as unknown as Instance;

describe("nodeStates", () => {
  it("marks nodes with history done, open tasks active and open incidents waiting", () => {
    const states = nodeStates(instance);
    expect(states.get("Start")).toBe("done");
    expect(states.get("Task_Manager")).toBe("active");
    expect(states.get("Task_Finance")).toBe("active");
    expect(states.get("Task_Http")).toBe("waiting");
  });
  it("marks nothing active once the instance ended", () => {
    const states = nodeStates({ ...instance, status: "completed" });
    expect([...states.values()]).toEqual(["done", "done", "done"]);
  });
});

describe("currentSteps", () => {
  it("names each open step with who holds it", () => {
    expect(currentSteps(instance)).toEqual([
      { node: "Manager approves", holders: ["bob"] },
      { node: "Task_Finance", holders: ["group:finance"] },
    ]);
  });
});

it("historyOf keeps one node's entries", () => {
  expect(historyOf(instance.timeline ?? [], "Task_Manager").map((e) => e.event)).toEqual(["task_opened"]);
});
