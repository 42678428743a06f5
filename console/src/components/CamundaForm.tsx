import { useEffect, useRef } from "react";

// form-js renders a Camunda Form (JSON schema); loaded lazily like bpmn-js.
type FormJs = {
  importSchema(schema: unknown, data?: unknown): Promise<unknown>;
  on(event: "submit", cb: (e: { data: Record<string, unknown>; errors: Record<string, unknown> }) => void): void;
  destroy(): void;
};

export function CamundaForm({ schema, onSubmit }: { schema: Record<string, unknown>; onSubmit: (data: Record<string, unknown>) => void }) {
  const container = useRef<HTMLDivElement>(null);
  const submit = useRef(onSubmit);
  submit.current = onSubmit;
  useEffect(() => {
    let form: FormJs | null = null;
    let cancelled = false;
    void (async () => {
      const [{ Form }] = await Promise.all([import("@bpmn-io/form-js-viewer"), import("@bpmn-io/form-js-viewer/dist/assets/form-js.css")]);
      if (cancelled || !container.current) return;
      // No debounce: a click on submit right after typing must see the last keystrokes.
      const options = { container: container.current, debounce: false }; // `config.debounce`, untyped
      form = new Form(options as ConstructorParameters<typeof Form>[0]) as unknown as FormJs;
      await form.importSchema(schema);
      form.on("submit", (e) => {
        if (Object.keys(e.errors).length === 0) submit.current(e.data);
      });
    })();
    return () => {
      cancelled = true;
      form?.destroy();
    };
  }, [schema]);
  return <div ref={container} data-testid="camunda-form" />;
}
