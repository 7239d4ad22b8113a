/**
 * The first loop of Go's generic policy dispatcher (policy/generic/policy_dispatcher.go), which both
 * policy plugins share: each policy that matches the request, each of its bindings that matches,
 * each param the binding selects — one invocation each, in the version the policy's rules matched.
 * What cannot be configured (a selector that does not parse, a param kind the host lacks, a
 * missing param) goes to `configError`, which the plugin words and weighs by its failurePolicy.
 */
import type { KubeRestClient } from '../../kube/index.js';
import type { AdmissionAttributes } from '../../registry/rest.js';
import type { HostNamespaces } from '../host-namespaces.js';
import { bindingMatches, definitionMatches } from './matches.js';
import { collectParams, type Param, type ParamSources } from './params.js';
import type { PolicyHook } from './source.js';
import type { BindingLike, PolicyLike } from './types.js';

export interface PolicyInvocation<P extends PolicyLike, B extends BindingLike, C> {
  hook: PolicyHook<P, B, C>;
  binding: B;
  /** The version the policy's rules matched (the request's, or an equivalent one). */
  version: string;
  param: Param | null;
}

export interface InvocationSources {
  namespaces: HostNamespaces;
  params: ParamSources;
  host: KubeRestClient;
}

export type ConfigError<P extends PolicyLike, B extends BindingLike, C> = (hook: PolicyHook<P, B, C>, binding: B | undefined, err: unknown) => void;

export async function policyInvocations<P extends PolicyLike, B extends BindingLike, C>(
  attrs: AdmissionAttributes,
  hooks: readonly PolicyHook<P, B, C>[],
  sources: InvocationSources,
  configError: ConfigError<P, B, C>,
): Promise<Array<PolicyInvocation<P, B, C>>> {
  const invocations: Array<PolicyInvocation<P, B, C>> = [];
  for (const hook of hooks) {
    let match;
    try {
      match = await definitionMatches(hook.policy.spec?.matchConstraints, attrs, sources.namespaces);
    } catch (err) {
      configError(hook, undefined, err);
      continue;
    }
    if (!match.matches) continue;
    const source = hook.paramKind ? await sources.params.ensure(hook.paramKind) : undefined;
    if (source && 'error' in source) {
      configError(hook, undefined, new Error(source.error));
      continue;
    }
    for (const binding of hook.bindings) {
      try {
        if (!(await bindingMatches(binding.spec?.matchResources, attrs, sources.namespaces))) continue;
      } catch (err) {
        configError(hook, binding, err);
        continue;
      }
      let params: Array<Param | null>;
      try {
        params = await collectParams(hook.policy.spec?.paramKind, source, binding.spec?.paramRef, attrs.namespace ?? '', sources.host);
      } catch (err) {
        configError(hook, binding, err);
        continue;
      }
      for (const param of params) invocations.push({ hook, binding, version: match.version, param });
    }
  }
  return invocations;
}
