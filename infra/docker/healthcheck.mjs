// HEALTHCHECK for every Coral image: GET /healthz on the service's own port. No curl or wget
// in the slim runtime images, so Node itself asks; exit 0 only on a 2xx within 4 s.
const port = process.env.PORT ?? '8080';
try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
    signal: AbortSignal.timeout(4000),
  });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
