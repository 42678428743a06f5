import { requestFields } from "../format";
import { useI18n } from "../i18n";

export function RequestFields({ variables }: { variables: Record<string, unknown> }) {
  const { t } = useI18n();
  const fields = requestFields(variables);
  return (
    <section aria-labelledby="fields-heading" className="panel">
      <h2 id="fields-heading">{t("instance.fields")}</h2>
      <dl className="fields" data-testid="request-fields">
        {fields.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
