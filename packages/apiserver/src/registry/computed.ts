/**
 * A resource that is not stored: its objects are computed when asked for (metrics.k8s.io's
 * PodMetrics, custom.metrics.k8s.io), so it offers only the verbs its implementation has. The
 * adapter gives it what a stored kind has for free: label and field selectors (metadata.name,
 * metadata.namespace and the kind's selectable fields), the namespace scope and NotFound.
 */
import { newNotFound, type KubeList, type KubeObject } from '@kapi/apimachinery';
import type { KindDefinition, ResourceVerb } from '../scheme/kind.js';
import type { RestStorage } from './interfaces.js';
import { predicateFor, validateListOptions } from './list-options.js';
import type { ApiGetOptions, ApiListOptions, RequestContext } from './rest.js';

/** What the author writes for a computed resource: any of these, in hub-version objects. */
export interface ComputedResourceImpl<T extends KubeObject = KubeObject> {
  /** One object, or undefined when there is none of that name (→ 404). */
  get?(ctx: RequestContext, name: string, opts: ApiGetOptions): Promise<T | undefined>;
  /** Every object in the request's scope (ctx.namespace, or all); selectors are applied after. */
  list?(ctx: RequestContext, opts: ApiListOptions): Promise<T[]>;
}

/** The verbs an implementation offers. */
export function computedVerbs(impl: ComputedResourceImpl): ResourceVerb[] {
  return [...(impl.get ? (['get'] as const) : []), ...(impl.list ? (['list'] as const) : [])];
}

/** `impl` as the RestStorage of `kind` (whose `verbs` must be computedVerbs(impl)). */
export function computedStorage<T extends KubeObject>(kind: KindDefinition, impl: ComputedResourceImpl<T>): RestStorage {
  const groupResource = { group: kind.group, resource: kind.plural };
  const storage: RestStorage = { kind };
  if (impl.get) {
    const get = impl.get.bind(impl);
    storage.get = async (ctx, name, opts) => {
      const obj = await get(ctx, name, opts);
      if (!obj || (kind.namespaced && ctx.namespace !== undefined && obj.metadata.namespace !== ctx.namespace)) throw newNotFound(groupResource, name);
      return obj;
    };
  }
  if (impl.list) {
    const list = impl.list.bind(impl);
    storage.list = async (ctx, opts): Promise<KubeList> => {
      validateListOptions(opts, false);
      const predicate = predicateFor(kind, opts, false);
      const items = (await list(ctx, opts)).filter(
        (obj) => (!kind.namespaced || ctx.namespace === undefined || obj.metadata.namespace === ctx.namespace) && predicate.matches(obj),
      );
      return { apiVersion: '', kind: '', metadata: { resourceVersion: '' }, items };
    };
  }
  return storage;
}
