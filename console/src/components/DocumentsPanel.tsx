import { documentsIn, ocrFields } from "../format";
import { useI18n } from "../i18n";
import { DocumentPreview } from "./DocumentPreview";

/** Each document beside the fields OCR read from it (`<variable>_ocr`). */
export function DocumentsPanel({ variables }: { variables: Record<string, unknown> }) {
  const { t } = useI18n();
  const docs = documentsIn(variables);
  if (!docs.length) return null;
  return (
    <section aria-labelledby="documents-heading" className="panel">
      <h2 id="documents-heading">{t("instance.documents")}</h2>
      {docs.map(({ variable, doc }) => {
        const ocr = ocrFields(variables, variable);
        return (
          <div key={doc.document_id} className="doc-row">
            <DocumentPreview doc={doc} />
            <div>
              <h3>{variable}</h3>
              {ocr.length ? (
                <dl className="fields" data-testid="ocr-fields" aria-label={t("instance.ocr")}>
                  {ocr.map(([k, v]) => (
                    <div key={k}>
                      <dt>{k}</dt>
                      <dd>{v}</dd>
                    </div>
                  ))}
                </dl>
              ) : (
                <p className="muted">{t("instance.noOcr")}</p>
              )}
            </div>
          </div>
        );
      })}
    </section>
  );
}
