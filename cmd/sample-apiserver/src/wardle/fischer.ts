/** Fischer: cluster scoped, v1alpha1 only; its disallowedFlunders feed the BanFlunder admission plugin. */
import type { KindDefinition, VersionDefinition } from '@kapi/apiserver';
import { GROUP, type FischerV1alpha1 } from './types.js';

const v1alpha1: VersionDefinition<FischerV1alpha1, FischerV1alpha1> = {
  name: 'v1alpha1',
  schema: {
    type: 'object',
    description: 'A Fischer names the Flunders that may not be created.',
    properties: {
      disallowedFlunders: {
        type: 'array',
        description: 'Names of Flunders that may not be created.',
        items: { type: 'string' },
      },
    },
  },
  printerColumns: [
    { name: 'Disallowed', type: 'string', jsonPath: '.disallowedFlunders', description: 'Flunder names refused by admission' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};

export const fischerKind: KindDefinition<FischerV1alpha1> = {
  group: GROUP,
  kind: 'Fischer',
  plural: 'fischers',
  singular: 'fischer',
  namespaced: false,
  categories: ['wardle'],
  versions: [v1alpha1],
  hubVersion: 'v1alpha1',
};
