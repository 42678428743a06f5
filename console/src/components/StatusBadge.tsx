import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/en";

export function StatusBadge({ status, outcome }: { status: string; outcome?: string | null }) {
  const { t } = useI18n();
  const key = `status.${status}` as MessageKey;
  const label = t(key) === key ? status : t(key);
  const outcomeKey = `outcome.${outcome}` as MessageKey;
  return (
    <span className={`badge badge-${status}`} data-testid="instance-status">
      {label}
      {outcome ? ` · ${t(outcomeKey) === outcomeKey ? outcome : t(outcomeKey)}` : ""}
    </span>
  );
}
