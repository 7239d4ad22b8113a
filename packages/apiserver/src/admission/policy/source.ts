/**
 * The host's policies and their bindings (k8s.io/apiserver pkg/admission/plugin/policy/generic
 * policy_source.go): two informers, and from them the hooks, each a policy with the bindings that
 * name it (a binding of no existing policy is left out), compiled once per resourceVersion of the
 * policy. Go orders the hooks by map iteration; here they are by policy name, bindings by name.
 */
import type { HealthCheck } from '../../http/health-check.js';
import type { KubeRestClient } from '../../kube/index.js';
import { Informer } from '../../kube/informer.js';
import type { GroupVersionKind } from '@kapi/apimachinery';
import { gvkString, parseParamKind, type ParamSources } from './params.js';
import type { BindingLike, PolicyLike } from './types.js';

export type PolicyKind = 'validating' | 'mutating';

export interface PolicyHook<P extends PolicyLike, B extends BindingLike, C> {
  policy: P;
  name: string;
  bindings: readonly B[];
  compiled: C;
  /** The policy's paramKind, parsed. */
  paramKind?: GroupVersionKind;
}

const GROUP_VERSION = '/apis/admissionregistration.k8s.io/v1';
const RESOURCES: Record<PolicyKind, { policies: string; bindings: string; plugin: string }> = {
  validating: { policies: 'validatingadmissionpolicies', bindings: 'validatingadmissionpolicybindings', plugin: 'ValidatingAdmissionPolicy' },
  mutating: { policies: 'mutatingadmissionpolicies', bindings: 'mutatingadmissionpolicybindings', plugin: 'MutatingAdmissionPolicy' },
};

const nameOf = (o: { metadata?: { name?: string } }): string => o.metadata?.name ?? '';
const byName = (a: { metadata?: { name?: string } }, b: { metadata?: { name?: string } }): number => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0);

export class PolicySource<P extends PolicyLike, B extends BindingLike, C> {
  private readonly policies: Informer<P>;
  private readonly bindings: Informer<B>;
  private readonly compiled = new Map<string, { resourceVersion: string; compiled: C }>();
  private cached: { revisions: string; hooks: ReadonlyArray<PolicyHook<P, B, C>> } = { revisions: '', hooks: [] };

  constructor(
    readonly kind: PolicyKind,
    host: KubeRestClient,
    private readonly compile: (policy: P) => C,
    /** Told which param kinds the hooks use, so that it stops the informers of the others. */
    private readonly params: ParamSources,
    opts: { onError?(err: unknown): void } = {},
  ) {
    const r = RESOURCES[kind];
    const onError = opts.onError ? { onError: opts.onError } : {};
    this.policies = new Informer<P>(host, { path: `${GROUP_VERSION}/${r.policies}`, ...onError });
    this.bindings = new Informer<B>(host, { path: `${GROUP_VERSION}/${r.bindings}`, ...onError });
  }

  get readyzCheck(): HealthCheck {
    return {
      name: `informer-sync-${this.kind}-admission-policies`,
      check: () => {
        if (!this.hasSynced) throw new Error(`the host cluster's ${this.kind} admission policies are not listed yet`);
      },
    };
  }

  get hasSynced(): boolean {
    return this.policies.hasSynced && this.bindings.hasSynced;
  }

  async start(): Promise<void> {
    await Promise.all([this.policies.start(), this.bindings.start()]);
  }

  stop(): void {
    this.policies.stop();
    this.bindings.stop();
    this.params.stop();
  }

  /** The hooks, recomputed when either informer changed. */
  hooks(): ReadonlyArray<PolicyHook<P, B, C>> {
    const revisions = `${this.policies.revision}/${this.bindings.revision}`;
    if (this.cached.revisions !== revisions) this.cached = { revisions, hooks: this.calculate() };
    return this.cached.hooks;
  }

  /** calculatePolicyData. */
  private calculate(): ReadonlyArray<PolicyHook<P, B, C>> {
    const bindingsOf = new Map<string, B[]>();
    for (const binding of this.bindings.objects().sort(byName)) {
      const policyName = binding.spec?.policyName ?? '';
      const list = bindingsOf.get(policyName) ?? [];
      list.push(binding);
      bindingsOf.set(policyName, list);
    }
    const hooks: Array<PolicyHook<P, B, C>> = [];
    const usedParams = new Set<string>();
    for (const policyName of [...bindingsOf.keys()].sort()) {
      const policy = this.policies.get(policyName);
      if (!policy) continue;
      let paramKind: GroupVersionKind | undefined;
      if (policy.spec?.paramKind) {
        try {
          paramKind = parseParamKind(policy.spec.paramKind);
        } catch {
          // Go skips a policy whose paramKind does not parse (and logs it).
          continue;
        }
        usedParams.add(gvkString(paramKind));
      }
      hooks.push({ policy, name: policyName, bindings: bindingsOf.get(policyName)!, compiled: this.compiledOf(policy), ...(paramKind ? { paramKind } : {}) });
    }
    for (const name of this.compiled.keys()) if (!bindingsOf.has(name)) this.compiled.delete(name);
    this.params.retain(usedParams);
    return hooks;
  }

  private compiledOf(policy: P): C {
    const name = nameOf(policy);
    const resourceVersion = policy.metadata?.resourceVersion ?? '';
    const cached = this.compiled.get(name);
    if (cached && cached.resourceVersion === resourceVersion) return cached.compiled;
    const compiled = this.compile(policy);
    this.compiled.set(name, { resourceVersion, compiled });
    return compiled;
  }
}

/** The plugin names, as --disable-admission-plugins knows them. */
export const VALIDATING_ADMISSION_POLICY = RESOURCES.validating.plugin;
export const MUTATING_ADMISSION_POLICY = RESOURCES.mutating.plugin;
