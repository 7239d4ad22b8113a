/** What the autocannon wrappers of the HTTP benchmarks (server.ts, compare.ts) share. */
import type autocannon from 'autocannon';

/** The counts of one autocannon run, whatever else a wrapper records. */
export interface LoadCounts {
  /** Latencies of each connection's first response (TLS handshake included). */
  firstLatencies: number[];
  /** 2xx responses. */
  ok: number;
  errors: number;
  /** Up to the last response. */
  elapsedMs: number;
  /** Stopped by the time cap. */
  capped: boolean;
  bytes: number;
  statusCounts: Record<string, number>;
  errorSamples: string[];
}

/** Waits for an autocannon run, stopping it after `capMs` (0: no cap); its result and the count per HTTP status. */
export async function finishLoad(
  instance: autocannon.Instance,
  capMs: number,
): Promise<{ result: autocannon.Result; capped: boolean; statusCounts: Record<string, number> }> {
  let capped = false;
  const cap = capMs > 0 ? setTimeout(() => ((capped = true), instance.stop()), capMs) : undefined;
  const result = await new Promise<autocannon.Result>((resolvePromise) => instance.on('done', resolvePromise));
  if (cap) clearTimeout(cap);
  const statusCounts: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = (stat as { count: number }).count;
  return { result, capped, statusCounts };
}
