/**
 * /healthz, /livez and /readyz as Go's healthz package serves them: "ok", or with ?verbose one
 * "[+]name ok" line per check; on failure always verbose, "[-]name failed: reason withheld",
 * and 500. ?exclude=name skips a check. /<endpoint>/<name> runs one check.
 */
import type { Request, Response, Router } from 'express';
import express from 'express';

export interface HealthCheck {
  name: string;
  /** Resolves when healthy; throws (or rejects) with the reason when not. */
  check(): void | Promise<void>;
}

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

function queryValues(req: Request, name: string): string[] {
  const raw = new URL(req.originalUrl, 'http://request.invalid').searchParams.getAll(name);
  return raw.flatMap((v) => v.split(',')).filter((v) => v !== '');
}

function sendText(res: Response, code: number, body: string): void {
  res.status(code).set({ 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).send(body);
}

export interface HealthEndpointOptions {
  /** healthz, livez or readyz: used in "readyz check failed". */
  name: string;
  /** Read on every request, so checks added later are seen. */
  checks: () => readonly HealthCheck[];
  onFailure?: (failed: Array<{ name: string; error: Error }>) => void;
  checkTimeoutMs?: number;
}

/** A router serving GET /<name> and GET /<name>/<check>. */
export function healthEndpoint(options: HealthEndpointOptions): Router {
  const router = express.Router();
  const timeoutMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;

  router.get(`/${options.name}`, async (req, res) => {
    const excluded = new Set(queryValues(req, 'exclude'));
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
    const verbose = new URL(req.originalUrl, 'http://request.invalid').searchParams.has('verbose');
    sendText(res, 200, verbose ? `${output}${options.name} check passed\n` : 'ok');
  });

  router.get(`/${options.name}/:check`, async (req, res, next) => {
    const check = options.checks().find((c) => c.name === req.params.check);
    if (!check) return next();
    const error = await runCheck(check, timeoutMs);
    if (error) sendText(res, 500, `internal server error: ${error.message}\n`);
    else sendText(res, 200, 'ok');
  });

  return router;
}
