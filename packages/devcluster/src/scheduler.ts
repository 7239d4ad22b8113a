/**
 * kube-scheduler against a devcluster's kube-apiserver (launched as component.ts does): it places
 * the Pods of Deployments on the cluster's nodes (node.ts). Started by cluster.startScheduler(),
 * stopped with the cluster.
 */
import { launchComponent, type Component, type ComponentHost } from './component.js';

/** The user kube-scheduler is (its client certificate's CN; O=system:masters). */
export const SCHEDULER_USER = 'system:kube-scheduler';

export interface SchedulerOptions {
  /** kube-scheduler binary; the pinned version (built when missing) otherwise. */
  binary?: string;
  /** Appended to the generated flags (a later flag wins). */
  extraArgs?: string[];
  /** Bound on the wait for its /healthz; default 60 s. */
  readyTimeoutMs?: number;
}

export type Scheduler = Component;

export function launchScheduler(host: ComponentHost, binary: string, opts: SchedulerOptions = {}): Promise<Scheduler> {
  return launchComponent(host, {
    name: 'kube-scheduler',
    binary,
    user: SCHEDULER_USER,
    readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
    args: ['--v=2', ...(opts.extraArgs ?? [])],
  });
}
