import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import { api, type DocumentRef } from "../api/client";
import { useI18n } from "../i18n";
import { ErrorMessage } from "./ErrorMessage";

/** An image or PDF, fetched with the bearer token (never a token in a URL), shown inline. */
export function DocumentPreview({ doc, local }: { doc: DocumentRef; local?: File }) {
  const { t } = useI18n();
  const blob = useQuery({ queryKey: ["document", doc.document_id], queryFn: () => api.document(doc.document_id), enabled: !local, staleTime: Infinity });
  const data = local ?? blob.data;
  const url = useMemo(() => (data ? URL.createObjectURL(data) : null), [data]);
  useEffect(() => () => { if (url) URL.revokeObjectURL(url); }, [url]);
  const name = doc.name ?? doc.document_id;
  return (
    <div className="document" data-testid="document-preview">
      {blob.error ? <ErrorMessage error={blob.error} /> : null}
      {url && doc.content_type.startsWith("image/") && <img src={url} alt={t("document.image", { name })} />}
      {url && doc.content_type === "application/pdf" && <iframe src={url} title={t("document.pdf", { name })} />}
      {url && <a href={url} download={name}>{t("document.download", { name })}</a>}
    </div>
  );
}
