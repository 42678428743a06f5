import { useEffect, useRef, useState } from "react";
import type { NodeState } from "../progress";
import { useI18n } from "../i18n";

export interface Pin {
  elementId: string;
  text: string;
}

interface Props {
  xml: string;
  states?: Map<string, NodeState>;
  pins?: Pin[];
  selected?: string | null;
  onSelect?: (elementId: string) => void;
}

// bpmn-js is large: it loads on the first diagram, not with the app (docs/console.md, budget).
type Viewer = {
  importXML(xml: string): Promise<unknown>;
  destroy(): void;
  get(name: string): any; // eslint-disable-line @typescript-eslint/no-explicit-any
};

/** The deployed BPMN drawn by bpmn-js, nodes marked done/active/waiting, errors pinned on. */
export function DiagramView({ xml, states, pins, selected, onSelect }: Props) {
  const { t } = useI18n();
  const container = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;

  useEffect(() => {
    let viewer: Viewer | null = null;
    let cancelled = false;
    setReady(false);
    setError(null);
    void (async () => {
      const [{ default: NavigatedViewer }] = await Promise.all([
        import("bpmn-js/lib/NavigatedViewer"),
        import("bpmn-js/dist/assets/diagram-js.css"),
        import("bpmn-js/dist/assets/bpmn-js.css"),
      ]);
      if (cancelled || !container.current) return;
      viewer = new NavigatedViewer({ container: container.current }) as unknown as Viewer;
      try {
        await viewer.importXML(xml);
      } catch (e) {
        if (!cancelled) setError(e instanceof Error ? e.message : String(e));
        return;
      }
      if (cancelled) return;
      const canvas = viewer.get("canvas");
      canvas.zoom("fit-viewport");
      viewer.get("eventBus").on("element.click", (event: { element: { id: string; type: string } }) => {
        if (event.element.type !== "bpmn:Process" && event.element.type !== "bpmn:Collaboration") onSelectRef.current?.(event.element.id);
      });
      const registry = viewer.get("elementRegistry");
      for (const [id, state] of states ?? []) if (registry.get(id)) canvas.addMarker(id, `node-${state}`);
      const overlays = viewer.get("overlays");
      for (const pin of pins ?? []) {
        if (!registry.get(pin.elementId)) continue;
        canvas.addMarker(pin.elementId, "node-error");
        const note = document.createElement("div");
        note.className = "diagram-pin";
        note.setAttribute("data-testid", `diagram-pin-${pin.elementId}`);
        note.textContent = pin.text;
        overlays.add(pin.elementId, { position: { bottom: -6, left: 0 }, html: note });
      }
      setReady(true);
    })().catch((e: unknown) => !cancelled && setError(String(e)));
    return () => {
      cancelled = true;
      viewer?.destroy();
    };
  }, [xml, states, pins]);

  const active = [...(states ?? [])].filter(([, s]) => s === "active").map(([id]) => id);
  return (
    <figure className="diagram-figure">
      <div
        ref={container}
        className="diagram"
        data-testid="diagram"
        data-ready={ready ? "true" : "false"}
        data-active-nodes={active.join(" ")}
        role="group"
        aria-label={t("diagram.label")}
      />
      {states && (
        <figcaption className="legend">
          <span className="legend-done">{t("diagram.done")}</span> <span className="legend-active">{t("diagram.active")}</span>{" "}
          <span className="legend-waiting">{t("diagram.waiting")}</span>
          {selected && <span> · {t("diagram.selected", { id: selected })}</span>}
        </figcaption>
      )}
      {error && <p role="alert" className="error">{t("diagram.failed")}: {error}</p>}
    </figure>
  );
}
