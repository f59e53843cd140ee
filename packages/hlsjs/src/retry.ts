import type { LoaderResponse, RetryConfig } from 'hls.js';

/**
 * hls.js's retry rules for a loader (`loadPolicy.errorRetry` / `timeoutRetry`), applied the
 * way its own loaders apply them: 4xx answers are not retried, timeouts and other failures
 * are, up to `maxNumRetry`, with exponential (or linear) back-off capped at `maxRetryDelayMs`.
 * hls.js passes fragment loaders a policy with both set to null (its stream controller
 * retries instead); playlist policies keep theirs.
 */
export function shouldRetryLoad(
  retryConfig: RetryConfig | null | undefined,
  retryCount: number,
  isTimeout: boolean,
  response?: LoaderResponse,
): retryConfig is RetryConfig {
  if (!retryConfig) return false;
  const status = response?.code;
  const retryableStatus = status !== undefined && status !== 0 && (status < 400 || status > 499);
  const retry = retryCount < retryConfig.maxNumRetry && (retryableStatus || isTimeout);
  return retryConfig.shouldRetry
    ? retryConfig.shouldRetry(retryConfig, retryCount, isTimeout, response, retry)
    : retry;
}

export function retryDelayMs(retryConfig: RetryConfig, retryCount: number): number {
  const factor = retryConfig.backoff === 'linear' ? 1 : 2 ** retryCount;
  return Math.min(factor * retryConfig.retryDelayMs, retryConfig.maxRetryDelayMs);
}
