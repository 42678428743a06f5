// Which diagram nodes are done, active or waiting, read from an instance's tasks and timeline.
import type { Instance, TimelineEntry } from "./api/client";

export type NodeState = "done" | "active" | "waiting";

export function nodeStates(instance: Pick<Instance, "tasks" | "timeline" | "incidents" | "status">): Map<string, NodeState> {
  const states = new Map<string, NodeState>();
  for (const entry of instance.timeline ?? []) if (entry.node_id) states.set(entry.node_id, "done");
  if (instance.status === "running") {
    for (const task of instance.tasks ?? []) if (task.status === "open") states.set(task.node_id, "active");
    for (const incident of instance.incidents ?? []) if (!incident.resolved_at) states.set(incident.node_id, "waiting");
  }
  return states;
}

export function historyOf(timeline: TimelineEntry[], nodeId: string): TimelineEntry[] {
  return timeline.filter((e) => e.node_id === nodeId);
}

/** The open steps and who holds them: "Manager approves (bob)". */
export function currentSteps(instance: Pick<Instance, "tasks">): { node: string; holders: string[] }[] {
  const byNode = new Map<string, string[]>();
  for (const task of instance.tasks ?? []) {
    if (task.status !== "open") continue;
    const name = task.name ?? task.node_id;
    const holders = byNode.get(name) ?? [];
    const holder = task.delegated_to ?? task.claimed_by ?? task.assignee ?? (task.candidate_groups ?? []).map((g) => `group:${g}`).join(", ");
    if (holder) holders.push(holder);
    byNode.set(name, holders);
  }
  return [...byNode].map(([node, holders]) => ({ node, holders }));
}
