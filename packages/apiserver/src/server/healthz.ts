/**
 * /healthz, /livez and /readyz as Go's healthz package serves them: "ok", or with ?verbose one
 * "[+]name ok" line per check; on failure always verbose, "[-]name failed: reason withheld",
 * and 500. ?exclude=name skips a check. /<endpoint>/<name> runs one check.
 */
import type { ServerResponse } from 'node:http';
import { requestInfoOf, requestQueryOf } from '../http/request-info.js';
import { methodNotAllowedError, notFoundError, sendBody, writeStatus } from '../http/responses.js';
import type { HealthCheck } from '../http/health-check.js';
import type { Route } from '../http/routes.js';


export const pingCheck: HealthCheck = { name: 'ping', check: () => undefined };

/** A check that fails once `failing()` is true (the readyz "shutdown" check). */
export function flagCheck(name: string, failing: () => boolean, message: string): HealthCheck {
  return {
    name,
    check: () => {
      if (failing()) throw new Error(message);
    },
  };
}

const DEFAULT_CHECK_TIMEOUT_MS = 5_000;

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<Error | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(() => check.check()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs}ms`)), timeoutMs);
      }),
    ]);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    clearTimeout(timer);
  }
}

function queryValues(query: URLSearchParams, name: string): string[] {
  return query.getAll(name).flatMap((v) => v.split(',')).filter((v) => v !== '');
}

function sendText(res: ServerResponse, code: number, body: string): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  sendBody(res, code, 'text/plain; charset=utf-8', body);
}

export interface HealthEndpointOptions {
  /** healthz, livez or readyz: used in "readyz check failed". */
  name: string;
  /** Read on every request, so checks added later are seen. */
  checks: () => readonly HealthCheck[];
  onFailure?: (failed: Array<{ name: string; error: Error }>) => void;
  checkTimeoutMs?: number;
}

/** The route of GET /<name> (every check) and GET /<name>/<check> (one). */
export function healthRoute(options: HealthEndpointOptions): Route {
  const timeoutMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;

  const all = async (query: URLSearchParams, res: ServerResponse): Promise<void> => {
    const excluded = new Set(queryValues(query, 'exclude'));
    const unknownExcluded = new Set(excluded);
    const checks = options.checks();
    const results = await Promise.all(
      checks.map(async (check) => (excluded.has(check.name) ? 'excluded' : await runCheck(check, timeoutMs))),
    );
    let output = '';
    const failed: Array<{ name: string; error: Error }> = [];
    checks.forEach((check, i) => {
      const result = results[i];
      if (result === 'excluded') {
        unknownExcluded.delete(check.name);
        output += `[+]${check.name} excluded: ok\n`;
      } else if (result) {
        output += `[-]${check.name} failed: reason withheld\n`;
        failed.push({ name: check.name, error: result });
      } else {
        output += `[+]${check.name} ok\n`;
      }
    });
    if (unknownExcluded.size > 0) {
      const names = [...unknownExcluded].sort().map((n) => `"${n}"`).join(', ');
      output += `warn: some health checks cannot be excluded: no matches for ${names}\n`;
    }
    if (failed.length > 0) {
      options.onFailure?.(failed);
      sendText(res, 500, `${output}${options.name} check failed\n`);
      return;
    }
    sendText(res, 200, query.has('verbose') ? `${output}${options.name} check passed\n` : 'ok');
  };

  const one = async (name: string, res: ServerResponse): Promise<void> => {
    const check = options.checks().find((c) => c.name === name);
    if (!check) throw notFoundError();
    const error = await runCheck(check, timeoutMs);
    if (error) sendText(res, 500, `internal server error: ${error.message}\n`);
    else sendText(res, 200, 'ok');
  };

  return {
    prefix: `/${options.name}`,
    handler: async (req, res) => {
      try {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowedError(res);
        // A check's name may hold slashes (poststarthook/<name>).
        const check = requestInfoOf(req).segments.slice(1).join('/');
        if (check === '') await all(requestQueryOf(req), res);
        else await one(check, res);
      } catch (err) {
        writeStatus(res, err);
      }
    },
  };
}
