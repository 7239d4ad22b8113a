/** BanFlunder: refuses a Flunder whose name is in any Fischer's disallowedFlunders (sample-apiserver's plugin). */
import { newForbidden } from '@kapi/apimachinery';
import type { AdmissionPlugin, BuiltAPI } from '@kapi/apiserver';
import { fischerKind, type FischerV1alpha1 } from './fischer.js';
import { GROUP } from './types.js';

/** Reads the Fischers through the built API's Store for them (its watch cache: resourceVersion 0). */
export function banFlunder(api: BuiltAPI): AdmissionPlugin {
  return {
    name: 'BanFlunder',
    async validate(attrs) {
      if (attrs.group !== GROUP || attrs.kind !== 'Flunder' || attrs.operation !== 'CREATE') return;
      const fischers = (await api.store(fischerKind).list({ warnings: [] }, { resourceVersion: '0' })).items as FischerV1alpha1[];
      if (fischers.some((f) => f.disallowedFlunders?.includes(attrs.name))) {
        throw newForbidden({ group: GROUP, resource: 'flunders' }, attrs.name, 'this name may not be used, please change the resource name');
      }
    },
  };
}
