/** The webhook clients' retry (TokenReview, SubjectAccessReview): Go's, with a backoff. */
import { KubeApiError } from '@kapi/storage/kube';

export interface RetryOptions {
  /** Tries in all; default 3. */
  attempts?: number;
  /** Wait before the second try, ×1.5 each further try; default 200 ms. */
  delayMs?: number;
}

/**
 * Runs `call` again after a network error, a 5xx or a 429 (Go's webhook clients retry the same
 * way, with a backoff), and rethrows the last error.
 */
export async function withRetry<T>(call: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 3;
  let delay = opts.delayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const retriable = !(err instanceof KubeApiError) || err.code >= 500 || err.code === 429;
      if (!retriable || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 1.5;
    }
  }
}
