/** BanFlunder: refuses a Flunder whose name is in any Fischer's disallowedFlunders (sample-apiserver's plugin). */
import { newForbidden } from '@kapi/apimachinery';
import type { AdmissionPlugin } from '@kapi/apiserver';
import { GROUP, type FischerV1alpha1 } from './types.js';

export function banFlunder(listFischers: () => Promise<readonly FischerV1alpha1[]>): AdmissionPlugin {
  return {
    name: 'BanFlunder',
    async validate(attrs) {
      if (attrs.group !== GROUP || attrs.kind !== 'Flunder' || attrs.operation !== 'CREATE') return;
      const fischers = await listFischers();
      if (fischers.some((f) => f.disallowedFlunders?.includes(attrs.name))) {
        throw newForbidden({ group: GROUP, resource: 'flunders' }, attrs.name, 'this name may not be used, please change the resource name');
      }
    },
  };
}
