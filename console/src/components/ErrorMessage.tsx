import { ApiError } from "../api/client";
import { useI18n } from "../i18n";

/** A refusal or failure, said plainly: what the API answered, and its code. */
export function ErrorMessage({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  const title = api ? (api.status === 403 ? t("error.forbidden") : api.status === 409 ? t("error.conflict") : api.status === 404 ? t("error.notFound") : api.status === 422 || api.status === 400 ? t("error.invalid") : api.status === 401 ? t("error.unauthorized") : t("error.failed")) : t("error.failed");
  return (
    <div role="alert" className="error" data-testid="error-message">
      <strong>{title}</strong> {api ? api.message : String(error instanceof Error ? error.message : error)}
      {api && <span className="code"> ({api.status} {api.code})</span>}
    </div>
  );
}
