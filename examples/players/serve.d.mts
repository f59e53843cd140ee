/** Serves the built example pages on loopback. */
export function serveExamples(
  port?: number,
  host?: string,
): Promise<{ url: string; close(): Promise<void> }>;
