/**
 * Polls `attempt` until it returns a value other than undefined or false, every 250 ms, bounded by
 * `timeoutMs`. On timeout the error tells `state()`, what was seen last.
 */
export async function eventually<T>(
  what: string,
  attempt: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  state?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${state ? `; last seen: ${state()}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
