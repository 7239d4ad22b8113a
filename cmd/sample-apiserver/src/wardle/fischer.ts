/** Fischer: cluster scoped, v1alpha1 only; its disallowedFlunders feed the BanFlunder admission plugin. */
import { Type } from '@sinclair/typebox';
import { defineKind, defineVersion, type ObjectOf } from '@kapi/apiserver';
import { GROUP } from './types.js';

const v1alpha1Schema = Type.Object(
  { disallowedFlunders: Type.Optional(Type.Array(Type.String(), { description: 'Names of Flunders that may not be created.' })) },
  { description: 'A Fischer names the Flunders that may not be created.' },
);

export type FischerV1alpha1 = ObjectOf<typeof v1alpha1Schema>;

export const fischerKind = defineKind<FischerV1alpha1>({
  group: GROUP,
  kind: 'Fischer',
  namespaced: false,
  categories: ['wardle'],
  versions: [
    defineVersion({
      name: 'v1alpha1',
      schema: v1alpha1Schema,
      printerColumns: [
        { name: 'Disallowed', type: 'string', jsonPath: '.disallowedFlunders', description: 'Flunder names refused by admission' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    }),
  ],
  hubVersion: 'v1alpha1',
});
