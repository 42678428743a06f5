import { useI18n } from "../i18n";

export function Pager({ index, pages, onPage }: { index: number; pages: number; onPage: (p: number) => void }) {
  const { t } = useI18n();
  if (pages <= 1) return null;
  return (
    <nav className="pager" aria-label={t("pager.label")}>
      <button type="button" disabled={index === 0} onClick={() => onPage(index - 1)}>{t("pager.previous")}</button>
      <span>{t("pager.page", { n: index + 1, total: pages })}</span>
      <button type="button" disabled={index >= pages - 1} onClick={() => onPage(index + 1)}>{t("pager.next")}</button>
    </nav>
  );
}

/** Pages the API cuts: forward by its token, back through the pages seen; the total when known. */
export function TokenPager({ index, pages, hasNext, onMove }: { index: number; pages?: number; hasNext: boolean; onMove: (move: "next" | "previous") => void }) {
  const { t } = useI18n();
  if (index === 0 && !hasNext) return null;
  return (
    <nav className="pager" aria-label={t("pager.label")}>
      <button type="button" disabled={index === 0} onClick={() => onMove("previous")}>{t("pager.previous")}</button>
      <span data-testid="pager-page">{pages != null ? t("pager.page", { n: index + 1, total: pages }) : t("pager.pageOnly", { n: index + 1 })}</span>
      <button type="button" disabled={!hasNext} onClick={() => onMove("next")}>{t("pager.next")}</button>
    </nav>
  );
}
