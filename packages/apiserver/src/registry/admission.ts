/** Runs admission plugins in order: every mutating admit, then (separately) every validating validate. */
import { isStatusError, newForbidden } from '@kapi/apimachinery';
import type { AdmissionAttributes, AdmissionPlugin } from './rest.js';

export class AdmissionChain {
  /** Whether any plugin has a mutating or a validating hook: without, the Store builds no attributes (nor copies) for them. */
  readonly admits: boolean;
  readonly validates: boolean;

  constructor(private readonly plugins: readonly AdmissionPlugin[] = []) {
    this.admits = plugins.some((p) => p.admit !== undefined);
    this.validates = plugins.some((p) => p.validate !== undefined);
  }

  async admit(attrs: AdmissionAttributes): Promise<void> {
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
