/** Runs admission plugins in order: every mutating admit, then (separately) every validating validate. */
import { isStatusError, newBadRequest, newForbidden } from '@kapi/apimachinery';
import type { KindDefinition } from '../scheme/kind.js';
import type { SchemeLike } from '../scheme/scheme-like.js';
import type { AdmissionAttributes, AdmissionObjects, AdmissionPlugin, ReinvocationContext } from './rest.js';

export class AdmissionChain {
  /** Whether any plugin has a mutating or a validating hook: without, the Store builds no attributes (nor copies) for them. */
  readonly admits: boolean;
  readonly validates: boolean;

  constructor(private readonly plugins: readonly AdmissionPlugin[] = []) {
    this.admits = plugins.some((p) => p.admit !== undefined);
    this.validates = plugins.some((p) => p.validate !== undefined);
  }

  /** Every mutating hook in order; all of them once more when one asks (Go's reinvoker), at most once. */
  async admit(attrs: AdmissionAttributes): Promise<void> {
    const reinvocation = new Reinvocation();
    attrs.reinvocation = reinvocation;
    for (const plugin of this.plugins) {
      if (plugin.admit) await this.run(plugin.admit.bind(plugin), attrs);
    }
    if (!reinvocation.requested) return;
    reinvocation.isReinvoke = true;
    for (const plugin of this.plugins) {
      if (plugin.admit) await this.run(plugin.admit.bind(plugin), attrs);
    }
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    for (const plugin of this.plugins) {
      if (plugin.validate) await this.run(plugin.validate.bind(plugin), attrs);
    }
  }

  /** A plugin that throws a plain Error refuses the request as Forbidden, as admission.NewForbidden does. */
  private async run(hook: (attrs: AdmissionAttributes) => void | Promise<void>, attrs: AdmissionAttributes): Promise<void> {
    try {
      await hook(attrs);
    } catch (err) {
      if (isStatusError(err)) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw newForbidden({ group: attrs.group, resource: attrs.resource }, attrs.name, reason);
    }
  }
}

class Reinvocation implements ReinvocationContext {
  isReinvoke = false;
  requested = false;
  private readonly values = new Map<string, unknown>();

  requestReinvocation(): void {
    this.requested = true;
  }

  value<T>(plugin: string, init: () => T): T {
    if (!this.values.has(plugin)) this.values.set(plugin, init());
    return this.values.get(plugin) as T;
  }
}

/** The kind's versions as `scheme` serves them (Go's ObjectInterfaces of a storage). */
export function admissionObjectsOf(scheme: SchemeLike, kind: KindDefinition): AdmissionObjects {
  const served = kind.versions.filter((v) => v.served !== false);
  return {
    versions: served.map((v) => v.name),
    encode: (hub, version) => scheme.encode(kind, hub, version),
    decode(obj) {
      const version = obj.apiVersion?.slice(obj.apiVersion.indexOf('/') + 1) ?? '';
      const target = scheme.lookup(kind.group, version, kind.plural);
      if (!target || target.kind !== kind) throw newBadRequest(`${obj.apiVersion ?? '(no apiVersion)'} is not a version of ${kind.kind}.${kind.group}`);
      return scheme.decode(target, obj, { fieldValidation: 'Ignore' }).object;
    },
  };
}

/**
 * Adds an audit annotation (Go's Attributes.AddAnnotation): a key once set keeps its value; a
 * request that is not audited keeps none.
 */
export function addAuditAnnotation(attrs: Pick<AdmissionAttributes, 'auditAnnotations'>, key: string, value: string): void {
  const annotations = attrs.auditAnnotations;
  if (annotations && !(key in annotations)) annotations[key] = value;
}
