import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, type DecisionCreate, type Instance, type TaskView, type TaskWithForm } from "../api/client";
import type { Claims } from "../auth";
import { requestFields } from "../format";
import { fieldLabel, fieldVariables, initialValues, type FieldValue } from "../taskFields";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/en";
import { CamundaForm } from "./CamundaForm";
import { ErrorMessage } from "./ErrorMessage";
import { TaskFields } from "./TaskFields";

type Action = DecisionCreate["action"];

/** The actions this task offers this user; the API has the last word (its refusals show here). */
export function availableActions(task: TaskView, me: Claims): Action[] {
  if (task.kind === "resubmit") return ["resubmit"];
  const groupTask = !task.assignee && ((task.candidate_groups ?? []).length > 0 || (task.candidate_users ?? []).length > 0);
  const actions: Action[] = ["approve", "reject"];
  if (groupTask && !task.claimed_by) actions.push("claim");
  if (task.claimed_by === me.sub) actions.push("unclaim");
  actions.push("transfer", "delegate", "add_signer", "remove_signer");
  if (me.groups.includes("admin")) actions.push("jump");
  return actions;
}

const TARGET: Partial<Record<Action, "user" | "users" | "node">> = { transfer: "user", delegate: "user", add_signer: "users", remove_signer: "users", jump: "node" };

export function TaskActions({ me, instance, task, onDecided }: { me: Claims; instance: Instance; task: TaskWithForm; onDecided: (outcome: string) => void }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [comment, setComment] = useState("");
  const [target, setTarget] = useState("");
  const [more, setMore] = useState<Action | "">("");
  const [edits, setEdits] = useState<Record<string, string>>({});
  const taskForm = task.kind === "resubmit" ? null : task.form?.camunda_form;
  // Generated fields (Camunda 7 form fields, Flowable form properties) when there is no Camunda Form.
  const fields = task.kind === "resubmit" || taskForm ? [] : (task.form?.fields ?? []);
  const [values, setValues] = useState<Record<string, FieldValue>>(() => initialValues(fields, instance.variables ?? {}));
  const [missing, setMissing] = useState<ReadonlySet<string>>(new Set());
  const decide = useMutation({
    mutationFn: (body: DecisionCreate) => api.decide(instance.instance_id, task.task_id, body),
    onSuccess: (result) => {
      onDecided(result.task.outcome ?? result.task.status ?? "");
      void queryClient.invalidateQueries({ queryKey: ["instance", instance.instance_id] });
      void queryClient.invalidateQueries({ queryKey: ["tasks"] });
    },
  });
  const [error, setError] = useState<string | null>(null);
  const run = (action: Action) => {
    setError(null);
    if (action === "reject" && !comment.trim()) return setError(t("task.reasonNeeded"));
    const kind = TARGET[action];
    const body: DecisionCreate = { action, comment: comment.trim() || null };
    if (kind) {
      const ids = target.split(/[,，\s]+/).filter(Boolean);
      if (!ids.length) return setError(t("task.targetNeeded"));
      body.to = kind === "users" ? ids : ids[0];
    }
    if (action === "approve" && fields.length > 0) {
      // Approving sends what the fields hold, typed; read-only fields are not sent.
      const check = fieldVariables(fields, values);
      setMissing(new Set([...check.missing, ...check.invalid].map((f) => f.id)));
      if (check.missing.length) return setError(t("task.fieldsMissing", { fields: check.missing.map(fieldLabel).join(", ") }));
      if (check.invalid.length) return setError(t("task.fieldsInvalid", { fields: check.invalid.map(fieldLabel).join(", ") }));
      if (Object.keys(check.variables).length) body.variables = check.variables;
    }
    if (action === "resubmit") body.variables = Object.fromEntries(Object.entries(edits).map(([k, v]) => [k, parse(v, instance.variables?.[k])]));
    decide.mutate(body);
  };
  const changeField = (next: Record<string, FieldValue>) => {
    setValues(next);
    // A field held back approving until it is filled in: once all are, the message goes.
    const left = new Set([...missing].filter((id) => next[id] === values[id]));
    if (left.size !== missing.size) {
      setMissing(left);
      if (left.size === 0) setError(null);
    }
  };
  const actions = availableActions(task, me);
  const secondary = actions.filter((a) => !["approve", "reject", "resubmit", "claim", "unclaim"].includes(a));
  return (
    <div className="actions" data-testid="task-actions">
      {task.kind === "resubmit" && (
        <fieldset>
          <legend>{t("task.edit")}</legend>
          {requestFields(instance.variables ?? {}).map(([k, v]) => (
            <div className="field" key={k}>
              <label htmlFor={`edit-${k}`}>{k}</label>
              <input id={`edit-${k}`} defaultValue={v} onChange={(e) => setEdits({ ...edits, [k]: e.target.value })} />
            </div>
          ))}
        </fieldset>
      )}
      {taskForm && (
        <fieldset data-testid="task-form">
          <legend>{t("task.form")}</legend>
          {/* The task's own Camunda Form: submitting it approves with what it holds. */}
          <CamundaForm schema={taskForm} onSubmit={(data) => decide.mutate({ action: "approve", comment: comment.trim() || null, variables: data })} />
        </fieldset>
      )}
      {fields.length > 0 && (
        <fieldset data-testid="task-fields">
          <legend>{t("task.form")}</legend>
          <TaskFields fields={fields} values={values} missing={missing} onChange={changeField} />
        </fieldset>
      )}
      <div className="field">
        <label htmlFor="decision-comment">{t("task.comment")}</label>
        <textarea id="decision-comment" value={comment} onChange={(e) => setComment(e.target.value)} />
      </div>
      <div className="buttons">
        {actions.filter((a) => ["approve", "reject", "resubmit", "claim", "unclaim"].includes(a)).map((a) => (
          <button key={a} type="button" className={a === "approve" || a === "resubmit" ? "primary" : a === "reject" ? "danger" : undefined} disabled={decide.isPending} onClick={() => run(a)}>
            {t(`action.${a}` as MessageKey)}
          </button>
        ))}
      </div>
      {secondary.length > 0 && (
        <div className="more">
          <label htmlFor="more-action">{t("task.moreActions")}</label>
          <select id="more-action" value={more} onChange={(e) => setMore(e.target.value as Action | "")}>
            <option value="">—</option>
            {secondary.map((a) => <option key={a} value={a}>{t(`action.${a}` as MessageKey)}</option>)}
          </select>
          {more && (
            <>
              <label htmlFor="action-target">{t(TARGET[more] === "node" ? "task.targetNode" : TARGET[more] === "users" ? "task.targetUsers" : "task.targetUser")}</label>
              <input id="action-target" value={target} onChange={(e) => setTarget(e.target.value)} />
              <button type="button" disabled={decide.isPending} onClick={() => run(more)}>{t(`action.${more}` as MessageKey)}</button>
            </>
          )}
        </div>
      )}
      {error && <p role="alert" className="error">{error}</p>}
      <ErrorMessage error={decide.error} />
    </div>
  );
}

function parse(text: string, previous: unknown): unknown {
  if (typeof previous === "number") {
    const n = Number(text);
    return Number.isNaN(n) ? text : n;
  }
  if (typeof previous === "boolean") return text === "true";
  return text;
}
