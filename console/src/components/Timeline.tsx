import type { TimelineEntry } from "../api/client";
import { formatDateTime } from "../format";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/en";

export function Timeline({ entries, label }: { entries: TimelineEntry[]; label?: string }) {
  const { t, lang } = useI18n();
  if (!entries.length) return <p>{t("timeline.empty")}</p>;
  return (
    <ol className="timeline" aria-label={label ?? t("timeline.title")} data-testid="timeline">
      {entries.map((e, i) => {
        const key = `event.${e.event}` as MessageKey;
        return (
          <li key={i}>
            <time dateTime={e.at}>{formatDateTime(e.at, lang)}</time> <strong>{t(key) === key ? e.event : t(key)}</strong>
            {e.node_id && <span className="muted"> · {e.node_id}</span>}
            {e.actor && <span> · {e.actor}</span>}
            {e.comment && <q>{e.comment}</q>}
          </li>
        );
      })}
    </ol>
  );
}
