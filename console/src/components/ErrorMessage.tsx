import { ApiError } from "../api/client";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/en";

const TITLES: Record<number, MessageKey> = {
  400: "error.invalid",
  401: "error.unauthorized",
  403: "error.forbidden",
  404: "error.notFound",
  409: "error.conflict",
  422: "error.invalid",
  429: "error.tooSoon",
  503: "error.unavailable",
};

/** A refusal or failure, said plainly: what the API answered, and its code. */
export function ErrorMessage({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  const title = t(api ? (TITLES[api.status] ?? "error.failed") : "error.failed");
  return (
    <div role="alert" className="error" data-testid="error-message">
      <strong>{title}</strong> {api ? api.message : String(error instanceof Error ? error.message : error)}
      {api && <span className="code"> ({api.status} {api.code})</span>}
    </div>
  );
}
