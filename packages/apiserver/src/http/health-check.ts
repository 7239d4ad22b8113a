/** A check of /healthz, /livez or /readyz: any layer may contribute one (storage, the host cluster's informers). */
export interface HealthCheck {
  name: string;
  /** Resolves when healthy; throws (or rejects) with the reason when not. */
  check(): void | Promise<void>;
}
