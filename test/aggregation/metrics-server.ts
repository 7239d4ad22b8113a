/**
 * cmd/metrics-apiserver aggregated beside what a suite already runs on a cluster
 * (aggregated.ts startServerBeside): external.metrics.k8s.io, priorities 100/100 as Go's adapters
 * are deployed, for the metrics suite and the HPA test.
 *
 *   const env = await startAggregated();                       // the sample server: Flunders
 *   const metrics = await startMetricsServer(env.cluster);     // external.metrics.k8s.io: flunders, fischers
 */
import { join } from 'node:path';
import type { GroupVersions } from '@kapi/apiserver/aggregation';
import { repoRoot, type Cluster } from '../harness/index.js';
import { startServerBeside, type ServerBeside } from './aggregated.js';

/** The compiled metrics server (`npx tsc -b` makes it). */
export const METRICS_MAIN = join(repoRoot(), 'cmd/metrics-apiserver/dist/main.js');
export const EXTERNAL_METRICS: GroupVersions = { group: 'external.metrics.k8s.io', versions: ['v1beta1'] };
export const METRICS_SERVICE = { name: 'api', namespace: 'wardle-metrics' };

export interface MetricsServerOptions {
  /** Another program serving external.metrics.k8s.io (compiled main.js); default cmd/metrics-apiserver. */
  main?: string;
  /** More flags for it. */
  serverArgs?: string[];
  /** Bound on the wait for Available; default 90 s. */
  availableTimeoutMs?: number;
}

export type MetricsServer = ServerBeside;

export function startMetricsServer(cluster: Cluster, opts: MetricsServerOptions = {}): Promise<MetricsServer> {
  return startServerBeside(cluster, {
    main: opts.main ?? METRICS_MAIN,
    served: EXTERNAL_METRICS,
    service: METRICS_SERVICE,
    groupPriorityMinimum: 100,
    versionPriority: 100,
    ...(opts.serverArgs ? { serverArgs: opts.serverArgs } : {}),
    ...(opts.availableTimeoutMs ? { availableTimeoutMs: opts.availableTimeoutMs } : {}),
  });
}
