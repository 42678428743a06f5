import type { Schemas } from "../api/client";
import { percent } from "../format";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/en";

export function AiAdvicePanel({ advice }: { advice: Schemas["AiAdvice"] }) {
  const { t } = useI18n();
  return (
    <div className="ai" data-testid="ai-panel">
      <h3>{t("ai.title")}</h3>
      <p>
        <strong>{t(`ai.${advice.decision}` as MessageKey)}</strong> · {t("ai.confidence")} {percent(advice.confidence)} · <span className="muted">{advice.model}</span>
      </p>
      {advice.advice && <p>{advice.advice}</p>}
      {(advice.risk_flags ?? []).length > 0 && (
        <ul aria-label={t("ai.risks")} className="risks">
          {(advice.risk_flags ?? []).map((f) => <li key={f}>{f}</li>)}
        </ul>
      )}
    </div>
  );
}
