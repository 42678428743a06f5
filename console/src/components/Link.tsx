import type { AnchorHTMLAttributes, MouseEvent } from "react";
import { href, navigate } from "../router";

/** An in-app link: a real href (open in a new tab works), navigation without a reload. */
export function Link({ to, query, ...rest }: { to: string; query?: Record<string, string | number | undefined> } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const url = href(to, query);
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(url);
  };
  return <a href={url} onClick={onClick} {...rest} />;
}
