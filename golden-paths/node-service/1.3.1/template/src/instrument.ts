// Imported first by main.ts: starts tracing (when OTEL_* asks for it) before anything loads `http`.
import { SERVICE_NAME } from "./service";
import { startTracing } from "./tracing";

export const tracing = startTracing(SERVICE_NAME);
