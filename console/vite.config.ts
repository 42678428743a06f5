import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// Served by the API at /ui/ (api/console_static.py); `npm run dev` proxies the API.
export default defineConfig({
  base: "/ui/",
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 1500 },
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
