/**
 * kube-controller-manager against a devcluster's kube-apiserver (launched as component.ts does),
 * with the controllers that act on an aggregated server's resources: the garbage collector and
 * the namespace controller by default. Started by startCluster({ controllerManager }) or
 * cluster.startControllerManager(), stopped with the cluster.
 *
 * The garbage collector reads discovery when it starts and then every 30 s (a constant in
 * kube-controller-manager, no flag): started after an aggregated API is Available, it watches the
 * API's resources at once; started before, it notices them within 30 s.
 */
import { launchComponent, type Component, type ComponentHost } from './component.js';

/** The garbage collector and the namespace controller (their names in --controllers; the aliases garbagecollector and namespace work too). */
export const DEFAULT_CONTROLLERS: readonly string[] = ['garbage-collector-controller', 'namespace-controller'];
/** The user kube-controller-manager is (its client certificate's CN; O=system:masters). */
export const CONTROLLER_MANAGER_USER = 'system:kube-controller-manager';

export interface ControllerManagerOptions {
  /** kube-controller-manager binary; the pinned version (built when missing) otherwise. */
  binary?: string;
  /** --controllers; default DEFAULT_CONTROLLERS (e.g. add 'horizontal-pod-autoscaler-controller'). */
  controllers?: readonly string[];
  /** Appended to the generated flags (a later flag wins). */
  extraArgs?: string[];
  /** Bound on the wait for its /healthz; default 60 s. */
  readyTimeoutMs?: number;
}

/** Its /healthz, /metrics, /debug/controllers/... at `url`; restart() starts its controllers afresh (the garbage collector reads discovery again). */
export interface ControllerManager extends Component {
  controllers: readonly string[];
}

export async function launchControllerManager(host: ComponentHost, binary: string, opts: ControllerManagerOptions = {}): Promise<ControllerManager> {
  const controllers = [...(opts.controllers ?? DEFAULT_CONTROLLERS)];
  const component = await launchComponent(host, {
    name: 'kube-controller-manager',
    binary,
    user: CONTROLLER_MANAGER_USER,
    readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
    args: [
      // Every controller as kube-controller-manager itself (no service account per controller, so no token controller needed).
      '--use-service-account-credentials=false',
      `--controllers=${controllers.join(',')}`,
      // The garbage collector's "syncing garbage collector with updated resources from discovery" is at 2.
      '--v=2',
      ...(opts.extraArgs ?? []),
    ],
  });
  return { ...component, controllers };
}
