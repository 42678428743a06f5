import { useI18n } from "../i18n";
import { Link } from "../components/Link";

export function NotFoundPage() {
  const { t } = useI18n();
  return (
    <>
      <h1>{t("notFound.title")}</h1>
      <Link to="inbox">{t("nav.inbox")}</Link>
    </>
  );
}
