/**
 * The host's Mutating/ValidatingWebhookConfigurations, kept by an informer and flattened into the
 * webhooks in the order Go calls them: configurations by name, webhooks in their order. Each
 * webhook's selectors are parsed once per change of the configurations.
 */
import type { LabelSelector, LabelSelectorSpec } from '@kapi/apimachinery';
import type { HealthCheck } from '../../http/health-check.js';
import type { KubeRestClient } from '../../kube/index.js';
import { Informer } from '../../kube/informer.js';
import { compileExpression, type CompiledExpression } from '../expressions.js';
import { parseSelector, type MatchPolicy, type RuleWithOperations } from '../matching.js';

export type WebhookKind = 'mutating' | 'validating';

/** admissionregistration.k8s.io/v1 WebhookClientConfig. */
export interface WebhookClientConfig {
  url?: string;
  service?: { namespace: string; name: string; path?: string; port?: number };
  /** base64 PEM. */
  caBundle?: string;
}

export interface MatchCondition {
  name: string;
  expression: string;
}

/** A MutatingWebhook or ValidatingWebhook, as the host serves it (defaulted). */
export interface WebhookSpec {
  name: string;
  clientConfig: WebhookClientConfig;
  rules?: RuleWithOperations[];
  failurePolicy?: 'Ignore' | 'Fail';
  matchPolicy?: MatchPolicy;
  namespaceSelector?: LabelSelectorSpec;
  objectSelector?: LabelSelectorSpec;
  sideEffects?: 'None' | 'NoneOnDryRun' | 'Some' | 'Unknown';
  timeoutSeconds?: number;
  admissionReviewVersions?: string[];
  matchConditions?: MatchCondition[];
  /** Mutating webhooks only. */
  reinvocationPolicy?: 'Never' | 'IfNeeded';
}

interface WebhookConfiguration {
  metadata?: { name?: string; resourceVersion?: string };
  webhooks?: WebhookSpec[];
}

/** One webhook ready to match: its spec, where it comes from, its parsed selectors (or why they do not parse). */
export interface WebhookAccessor {
  /** configuration/webhook/index: unique, stable while the configuration is. */
  uid: string;
  configurationName: string;
  spec: WebhookSpec;
  selectors: { namespace: LabelSelector; object: LabelSelector } | { error: string };
  matchConditions: ReadonlyArray<{ name: string; compiled: CompiledExpression }>;
}

const PATHS: Record<WebhookKind, string> = {
  mutating: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
  validating: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
};

export class WebhookConfigurations {
  private readonly informer: Informer<WebhookConfiguration>;
  private cached: { revision: number; webhooks: readonly WebhookAccessor[] } = { revision: -1, webhooks: [] };

  constructor(
    readonly kind: WebhookKind,
    client: KubeRestClient,
    opts: { onError?(err: unknown): void } = {},
  ) {
    this.informer = new Informer<WebhookConfiguration>(client, { path: PATHS[kind], ...(opts.onError ? { onError: opts.onError } : {}) });
  }

  get readyzCheck(): HealthCheck {
    return {
      name: `informer-sync-${this.kind}-webhooks`,
      check: () => {
        if (!this.informer.hasSynced) throw new Error(`the host cluster's ${this.kind} webhook configurations are not listed yet`);
      },
    };
  }

  get hasSynced(): boolean {
    return this.informer.hasSynced;
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  /** The webhooks in calling order. */
  webhooks(): readonly WebhookAccessor[] {
    if (this.cached.revision !== this.informer.revision) {
      const configurations = this.informer.objects().sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
      const webhooks = configurations.flatMap((config) => (config.webhooks ?? []).map((spec, i) => accessorOf(config.metadata?.name ?? '', spec, i)));
      this.cached = { revision: this.informer.revision, webhooks };
    }
    return this.cached.webhooks;
  }
}

/** One webhook of configuration `configurationName`, at `index` in it, ready to match. */
export function accessorOf(configurationName: string, spec: WebhookSpec, index: number): WebhookAccessor {
  let selectors: WebhookAccessor['selectors'];
  try {
    selectors = { namespace: parseSelector(spec.namespaceSelector), object: parseSelector(spec.objectSelector) };
  } catch (err) {
    selectors = { error: err instanceof Error ? err.message : String(err) };
  }
  const matchConditions = (spec.matchConditions ?? []).map((c) => ({ name: c.name, compiled: compileExpression(c.expression) }));
  return { uid: `${configurationName}/${spec.name}/${index}`, configurationName, spec, selectors, matchConditions };
}
