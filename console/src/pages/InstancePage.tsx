import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, type Instance, type TaskView } from "../api/client";
import type { Claims } from "../auth";
import { AiAdvicePanel } from "../components/AiAdvicePanel";
import { DiagramView } from "../components/DiagramView";
import { DocumentsPanel } from "../components/DocumentsPanel";
import { ErrorMessage } from "../components/ErrorMessage";
import { IncidentActions } from "../components/IncidentsPanel";
import { Link } from "../components/Link";
import { InstanceActions } from "../components/InstanceActions";
import { RequestFields } from "../components/RequestFields";
import { StatusBadge } from "../components/StatusBadge";
import { TaskActions } from "../components/TaskActions";
import { Timeline } from "../components/Timeline";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/en";
import { currentSteps, historyOf, nodeStates } from "../progress";
import { instancePath } from "../router";

/** Whether ``me`` may act on a task (the API decides; this only chooses what to offer). */
export function isMine(task: TaskView, me: Claims): boolean {
  if (task.status !== "open") return false;
  if (task.delegated_to) return task.delegated_to === me.sub;
  if (task.claimed_by) return task.claimed_by === me.sub;
  return task.assignee === me.sub || (task.candidate_users ?? []).includes(me.sub) || (task.candidate_groups ?? []).some((g) => me.groups.includes(g));
}

export function InstancePage({ me, instanceId, taskId }: { me: Claims; instanceId: string; taskId?: string }) {
  const { t } = useI18n();
  const instance = useQuery({ queryKey: ["instance", instanceId], queryFn: () => api.instance(instanceId), refetchInterval: (q) => (q.state.data?.status === "running" ? 3_000 : false) });
  const data = instance.data;
  return (
    <>
      <h1>
        {t("instance.title")} <span className="mono">{instanceId}</span>
      </h1>
      <ErrorMessage error={instance.error} />
      {data && <InstanceBody me={me} instance={data} taskId={taskId} />}
    </>
  );
}

function InstanceBody({ me, instance, taskId }: { me: Claims; instance: Instance; taskId?: string }) {
  const { t } = useI18n();
  const tasks = instance.tasks ?? [];
  const task = (taskId ? tasks.find((x) => x.task_id === taskId) : undefined) ?? tasks.find((x) => isMine(x, me));
  const steps = currentSteps(instance);
  const admin = me.groups.includes("admin");
  // Kept here: the decided task closes (and its panel may go) when the instance refreshes.
  const [decided, setDecided] = useState<string | null>(null);
  return (
    <>
      <p className="summary">
        <StatusBadge status={instance.status} outcome={instance.outcome} /> · {instance.process_id} v{instance.version} · {t("instances.initiator")}: {instance.initiator}
        {instance.priority && instance.priority !== "normal" && <span data-testid="instance-priority"> · <span className={`priority priority-${instance.priority}`}>{t(`priority.${instance.priority}` as MessageKey)}</span></span>}
        {steps.length > 0 && <span data-testid="current-step"> · {t("instances.step")}: {steps.map((s) => `${s.node} (${s.holders.join(", ")})`).join("; ")}</span>}
        {instance.called_by && (
          <span data-testid="called-by"> · {t("instances.calledBy")}: <Link to={instancePath(instance.called_by.workflow_id)}>{instance.called_by.workflow_id}</Link> ({instance.called_by.node_id})</span>
        )}
      </p>
      {taskId && !tasks.some((x) => x.task_id === taskId) && <p role="status">{t("task.gone")}</p>}
      {decided !== null && <p role="status" className="done" data-testid="decision-result">{t("task.done", { outcome: decided })}</p>}
      <div className="columns">
        <div>
          {task && (
            <section aria-labelledby="task-heading" className="panel" data-testid="task-panel">
              <h2 id="task-heading">{task.name ?? task.node_id} <span className="muted">{task.ref}</span></h2>
              {task.status !== "open" && <p><StatusBadge status={task.status ?? "completed"} outcome={task.outcome} /></p>}
              {task.ai && <AiAdvicePanel advice={task.ai} />}
              {task.status === "open" && <TaskActions key={task.task_id} me={me} instance={instance} task={task} onDecided={setDecided} />}
            </section>
          )}
          <InstanceActions me={me} instance={instance} />
          <RequestFields variables={instance.variables ?? {}} />
          <DocumentsPanel variables={instance.variables ?? {}} />
          {(instance.incidents ?? []).length > 0 && (
            <section aria-labelledby="incidents-heading" className="panel">
              <h2 id="incidents-heading">{t("instance.incidents")}</h2>
              <ul data-testid="incidents">
                {(instance.incidents ?? []).map((i, n) => (
                  <li key={n}>
                    {i.node_id}: {i.kind} — {i.message}{i.resolved_at ? ` (${t("instance.resolved")})` : ""}
                    {admin && !i.resolved_at && i.incident_id && (instance.status === "running" || instance.status === "incident") && <IncidentActions instanceId={instance.instance_id} incidentId={i.incident_id} />}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </div>
        <div>
          <InstanceDiagram instance={instance} />
          <section aria-labelledby="timeline-heading" className="panel">
            <h2 id="timeline-heading">{t("timeline.title")}</h2>
            <Timeline entries={instance.timeline ?? []} />
          </section>
        </div>
      </div>
    </>
  );
}

function InstanceDiagram({ instance }: { instance: Instance }) {
  const { t } = useI18n();
  const xml = useQuery({ queryKey: ["bpmn", instance.process_id, instance.version], queryFn: () => api.bpmn(instance.process_id, instance.version), staleTime: Infinity });
  const [selected, setSelected] = useState<string | null>(null);
  const states = useMemo(() => nodeStates(instance), [instance]);
  return (
    <section aria-labelledby="diagram-heading" className="panel">
      <h2 id="diagram-heading">{t("diagram.title")}</h2>
      <ErrorMessage error={xml.error} />
      {xml.data && <DiagramView xml={xml.data} states={states} selected={selected} onSelect={setSelected} />}
      {selected && (
        <div data-testid="node-history">
          <h3>{t("diagram.history", { id: selected })}</h3>
          <Timeline entries={historyOf(instance.timeline ?? [], selected)} />
        </div>
      )}
    </section>
  );
}
