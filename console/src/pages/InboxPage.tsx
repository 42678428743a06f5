import { useQuery } from "@tanstack/react-query";
import { api, type Task } from "../api/client";
import { ErrorMessage } from "../components/ErrorMessage";
import { Link } from "../components/Link";
import { Pager } from "../components/Pager";
import { dueState, formatDateTime, inboxRows, page, percent, type InboxFilter } from "../format";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/en";
import { href, instancePath, navigate } from "../router";

const PAGE_SIZE = 20;

export function InboxPage({ query }: { query: URLSearchParams }) {
  const { t } = useI18n();
  const tasks = useQuery({ queryKey: ["tasks"], queryFn: () => api.tasks(), refetchInterval: 15_000 });
  const filter: InboxFilter = { process: query.get("process") ?? undefined, overdue: query.get("overdue") === "1", advice: query.get("advice") ?? undefined, text: query.get("q") ?? undefined };
  const now = new Date();
  const rows = inboxRows(tasks.data?.data ?? [], filter, now);
  const current = page(rows, Number(query.get("page") ?? "0"), PAGE_SIZE);
  const processes = [...new Set((tasks.data?.data ?? []).map((x) => x.process_id))].sort();
  const setQuery = (changes: Record<string, string | undefined>) => {
    const next = Object.fromEntries(query);
    navigate(href("inbox", { ...next, page: undefined, ...changes }), true);
  };

  return (
    <>
      <h1>{t("inbox.title")}</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()} aria-label={t("inbox.filters")}>
        <label>
          {t("inbox.process")}
          <select value={filter.process ?? ""} onChange={(e) => setQuery({ process: e.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            {processes.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </label>
        <label>
          {t("inbox.advice")}
          <select value={filter.advice ?? ""} onChange={(e) => setQuery({ advice: e.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            {["approve", "reject", "abstain", "none"].map((a) => <option key={a} value={a}>{t(`ai.${a}` as MessageKey)}</option>)}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={!!filter.overdue} onChange={(e) => setQuery({ overdue: e.target.checked ? "1" : undefined })} /> {t("inbox.overdueOnly")}
        </label>
        <label>
          {t("inbox.search")}
          <input type="search" defaultValue={filter.text} onChange={(e) => setQuery({ q: e.target.value || undefined })} />
        </label>
      </form>
      <ErrorMessage error={tasks.error} />
      {tasks.isPending ? <p>{t("common.loading")}</p> : (
        <>
          <p data-testid="inbox-count">{t("inbox.count", { count: rows.length })}</p>
          <div className="table-wrap">
            <table data-testid="inbox">
              <thead>
                <tr>
                  <th scope="col">{t("inbox.task")}</th>
                  <th scope="col">{t("inbox.process")}</th>
                  <th scope="col">{t("inbox.due")}</th>
                  <th scope="col">{t("inbox.advice")}</th>
                  <th scope="col">{t("inbox.received")}</th>
                </tr>
              </thead>
              <tbody>
                {current.rows.map((task) => <InboxRow key={`${task.instance_id}/${task.task_id}`} task={task} now={now} />)}
              </tbody>
            </table>
          </div>
          <Pager index={current.index} pages={current.pages} onPage={(p) => setQuery({ page: String(p) })} />
        </>
      )}
    </>
  );
}

function InboxRow({ task, now }: { task: Task; now: Date }) {
  const { t, lang } = useI18n();
  const due = dueState(task.due_at, now);
  return (
    <tr data-testid="inbox-row" className={due?.overdue ? "overdue" : undefined}>
      <td>
        <Link to={instancePath(task.instance_id, task.task_id)}>{task.name ?? task.node_id}</Link>
        <div className="muted">{task.ref} · {task.instance_id}{task.kind === "resubmit" ? ` · ${t("task.resubmit")}` : ""}</div>
        {task.priority && task.priority !== "normal" && <span className={`priority priority-${task.priority}`} data-testid="task-priority">{t(`priority.${task.priority}` as MessageKey)}</span>}
      </td>
      <td>{task.process_id}</td>
      <td>
        {due ? <span className={due.overdue ? "overdue-text" : undefined}>{t(due.overdue ? "due.overdue" : "due.in", { n: due.amount, unit: t(`unit.${due.unit}` as MessageKey) })}</span> : "—"}
      </td>
      <td>{task.ai ? <span data-testid="ai-advice">{t(`ai.${task.ai.decision}` as MessageKey)} · {percent(task.ai.confidence)}</span> : "—"}</td>
      <td>{formatDateTime(task.created_at, lang)}</td>
    </tr>
  );
}
