import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, type Task } from "../api/client";
import { ErrorMessage } from "../components/ErrorMessage";
import { Link } from "../components/Link";
import { TokenPager } from "../components/Pager";
import { dueState, formatDateTime, inboxQuery, INBOX_PAGE_SIZE, nextTrail, percent, type InboxFilter, type InboxSort } from "../format";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/en";
import { href, instancePath, navigate } from "../router";

const SORTS: InboxSort[] = ["newest", "due", "oldest"];

export function InboxPage({ query }: { query: URLSearchParams }) {
  const { t } = useI18n();
  const sort = query.get("sort");
  const filter: InboxFilter = {
    process: query.get("process") ?? undefined,
    overdue: query.get("overdue") === "1",
    advice: query.get("advice") ?? undefined,
    text: query.get("q") ?? undefined,
    sort: SORTS.includes(sort as InboxSort) ? (sort as InboxSort) : "newest",
  };
  // The tokens of the pages visited; a new filter or order starts again at the first page.
  const filterKey = JSON.stringify(filter);
  const [trail, setTrail] = useState<{ key: string; tokens: (string | undefined)[] }>({ key: filterKey, tokens: [undefined] });
  const tokens = trail.key === filterKey ? trail.tokens : [undefined];
  const pageToken = tokens[tokens.length - 1];
  const tasks = useQuery({
    queryKey: ["tasks", filterKey, pageToken],
    queryFn: () => api.tasks(inboxQuery(filter, pageToken)),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
  const definitions = useQuery({ queryKey: ["definitions"], queryFn: () => api.definitions(), staleTime: 60_000 });
  const processes = [...new Set((definitions.data?.data ?? []).map((d) => d.process_id))].sort();
  const setQuery = (changes: Record<string, string | undefined>) => {
    const next = Object.fromEntries(query);
    navigate(href("inbox", { ...next, ...changes }), true);
  };
  // The search applies once typing pauses: each change is a request to the API.
  const [text, setText] = useState(filter.text ?? "");
  useEffect(() => {
    if (text === (filter.text ?? "")) return;
    const timer = setTimeout(() => setQuery({ q: text || undefined }), 300);
    return () => clearTimeout(timer);
  });
  const move = (direction: "next" | "previous") =>
    setTrail({ key: filterKey, tokens: nextTrail(tokens, direction, tasks.data?.next_page_token) });
  const now = new Date();
  // The API counts only what it read whole; a single page in visibility's order counts itself.
  const onlyPage = tokens.length === 1 && tasks.data != null && !tasks.data.next_page_token;
  const total = tasks.data?.total ?? (onlyPage ? tasks.data?.count : undefined);

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
          {t("inbox.sort")}
          <select value={filter.sort} onChange={(e) => setQuery({ sort: e.target.value === "newest" ? undefined : e.target.value })}>
            {SORTS.map((s) => <option key={s} value={s}>{t(`inbox.sort.${s}` as MessageKey)}</option>)}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={!!filter.overdue} onChange={(e) => setQuery({ overdue: e.target.checked ? "1" : undefined })} /> {t("inbox.overdueOnly")}
        </label>
        <label>
          {t("inbox.search")}
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} />
        </label>
      </form>
      <ErrorMessage error={tasks.error} />
      {tasks.isPending ? <p>{t("common.loading")}</p> : (
        <>
          <p data-testid="inbox-count">
            {total != null ? t("inbox.count", { count: total }) : t("inbox.pageCount", { count: tasks.data?.count ?? 0 })}
          </p>
          <div className="table-wrap">
            <table data-testid="inbox" aria-busy={tasks.isPlaceholderData}>
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
                {(tasks.data?.data ?? []).map((task) => <InboxRow key={`${task.instance_id}/${task.task_id}`} task={task} now={now} />)}
              </tbody>
            </table>
          </div>
          <TokenPager
            index={tokens.length - 1}
            pages={total != null ? Math.max(1, Math.ceil(total / INBOX_PAGE_SIZE)) : undefined}
            hasNext={!!tasks.data?.next_page_token && !tasks.isPlaceholderData}
            onMove={move}
          />
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
