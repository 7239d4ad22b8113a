/**
 * The host cluster's admission plugins a delegated server runs, in Go's order (k8s.io/apiserver
 * pkg/server/options/admission.go RecommendedPluginOrder): NamespaceLifecycle, MutatingAdmissionPolicy,
 * MutatingAdmissionWebhook, ValidatingAdmissionPolicy, ValidatingAdmissionWebhook, each unless
 * --disable-admission-plugins names it. They share one client and one namespace informer.
 */
import type { Logger } from 'pino';
import { newForbidden } from '@kapi/apimachinery';
import { HostNamespaces } from '../admission/host-namespaces.js';
import { NAMESPACE_LIFECYCLE, namespaceLifecycle } from '../admission/namespace-lifecycle.js';
import { HostSchemas } from '../admission/policy/host-schemas.js';
import { MUTATING_ADMISSION_POLICY, compileMutatingPolicy, mutatingAdmissionPolicy } from '../admission/policy/mutating.js';
import { ParamSources } from '../admission/policy/params.js';
import { PolicySource } from '../admission/policy/source.js';
import { VALIDATING_ADMISSION_POLICY, compileValidatingPolicy, validatingAdmissionPolicy } from '../admission/policy/validating.js';
import { WebhookClient } from '../admission/webhook/call.js';
import { WebhookConfigurations } from '../admission/webhook/configurations.js';
import { MUTATING_ADMISSION_WEBHOOK, VALIDATING_ADMISSION_WEBHOOK, mutatingWebhooks, validatingWebhooks } from '../admission/webhook/dispatch.js';
import type { HealthCheck } from '../http/health-check.js';
import { KubeRestClient, loadKubeConfig } from '../kube/index.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../registry/rest.js';
import { ADMISSION_PLUGINS } from './options.js';

export interface HostAdmission {
  plugins: readonly AdmissionPlugin[];
  readyzChecks: readonly HealthCheck[];
  stop(): void;
}

/** How long a request admitted before the informers' first lists waits for them (Go's WaitForReady). */
const READY_WAIT_MS = 10_000;
/** Between tries of a first list the host refused or did not answer. */
const FIRST_LIST_RETRY_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

interface Startable {
  start(): Promise<void>;
  readonly hasSynced: boolean;
}

/**
 * Starts the informers the enabled plugins need, and answers at once: as Go's plugins, they do not
 * hold the server back. A first list the host refuses (its RBAC not applied yet, the host not up)
 * is tried again every second until it works, /readyz failing meanwhile; a request admitted before
 * every informer has listed waits for them up to 10 s, then is refused as Go refuses it (403 "not
 * yet ready to handle request") rather than admitted past webhooks and policies not yet known.
 */
export async function startHostAdmission(kubeconfig: string | undefined, disabled: readonly string[], logger: Logger): Promise<HostAdmission> {
  const enabled = ADMISSION_PLUGINS.filter((name) => !disabled.includes(name));
  if (enabled.length === 0) return { plugins: [], readyzChecks: [], stop: () => undefined };
  const host = new KubeRestClient(await loadKubeConfig(kubeconfig));
  const onError = (what: string) => (err: unknown) => logger.warn({ err }, `admission: watching the host's ${what} failed; retrying`);
  const namespaces = new HostNamespaces(host, { onError: onError('namespaces') });
  const mutating = enabled.includes(MUTATING_ADMISSION_WEBHOOK) ? new WebhookConfigurations('mutating', host, { onError: onError('mutating webhook configurations') }) : undefined;
  const validating = enabled.includes(VALIDATING_ADMISSION_WEBHOOK) ? new WebhookConfigurations('validating', host, { onError: onError('validating webhook configurations') }) : undefined;
  const policyParams = (what: string): ParamSources => new ParamSources(host, { onError: onError(`${what} policy params`) });
  const mapParams = policyParams('mutating');
  const vapParams = policyParams('validating');
  const maps = enabled.includes(MUTATING_ADMISSION_POLICY) ? new PolicySource('mutating', host, compileMutatingPolicy, mapParams, { onError: onError('mutating admission policies') }) : undefined;
  const vaps = enabled.includes(VALIDATING_ADMISSION_POLICY) ? new PolicySource('validating', host, compileValidatingPolicy, vapParams, { onError: onError('validating admission policies') }) : undefined;
  const informers = [namespaces, ...(maps ? [maps] : []), ...(mutating ? [mutating] : []), ...(vaps ? [vaps] : []), ...(validating ? [validating] : [])];
  const client = new WebhookClient(host);
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    for (const informer of informers) informer.stop();
    client.close();
  };
  const startUntilListed = async (informer: Startable): Promise<void> => {
    while (!stopped) {
      try {
        return await informer.start();
      } catch (err) {
        logger.warn({ err }, "admission: listing the host's objects failed; trying again");
        await sleep(FIRST_LIST_RETRY_MS);
      }
    }
  };
  const listed = Promise.all(informers.map(startUntilListed));
  const ready = (): boolean => informers.every((informer) => informer.hasSynced);
  const onIgnoredFailure = (err: Error): void => logger.warn({ err: err.message }, 'Failed calling webhook, failing open');
  const plugins: AdmissionPlugin[] = [];
  if (enabled.includes(NAMESPACE_LIFECYCLE)) plugins.push(namespaceLifecycle(namespaces));
  if (maps) plugins.push(mutatingAdmissionPolicy({ source: maps, params: mapParams, namespaces, host, schemas: new HostSchemas(host, { onError: onError('OpenAPI') }) }));
  if (mutating) plugins.push(mutatingWebhooks({ configurations: mutating, namespaces, client, onIgnoredFailure }));
  if (vaps) plugins.push(validatingAdmissionPolicy({ source: vaps, params: vapParams, namespaces, host }));
  if (validating) plugins.push(validatingWebhooks({ configurations: validating, namespaces, client, onIgnoredFailure }));
  return { plugins: plugins.map((plugin) => waitingForSync(plugin, ready, listed)), readyzChecks: informers.map((informer) => informer.readyzCheck), stop };
}

/** `plugin`, run once `ready()`: a request before then waits for `listed` (up to READY_WAIT_MS), then is refused. */
function waitingForSync(plugin: AdmissionPlugin, ready: () => boolean, listed: Promise<unknown>): AdmissionPlugin {
  const untilReady = async (attrs: AdmissionAttributes): Promise<void> => {
    if (ready()) return;
    await Promise.race([listed, sleep(READY_WAIT_MS)]);
    if (!ready()) throw newForbidden({ group: attrs.group, resource: attrs.resource }, attrs.name, 'not yet ready to handle request');
  };
  const { admit, validate } = plugin;
  return {
    name: plugin.name,
    ...(admit ? { admit: async (attrs: AdmissionAttributes) => (await untilReady(attrs), admit.call(plugin, attrs)) } : {}),
    ...(validate ? { validate: async (attrs: AdmissionAttributes) => (await untilReady(attrs), validate.call(plugin, attrs)) } : {}),
  };
}
