/** Flunder: namespaced, served as v1beta1 (the hub) and v1alpha1, with a status subresource. */
import { Type } from '@sinclair/typebox';
import type { FieldError } from '@kapi/apimachinery';
import { StringEnum, defineKind, defineVersion, type ObjectOf } from '@kapi/apiserver';
import { GROUP } from './types.js';

const referenceType = StringEnum(['Flunder', 'Fischer'], { description: 'The kind of object the reference names.' });
const status = Type.Optional(Type.Object({}, { description: 'The observed state of the Flunder.' }));

const v1beta1Schema = Type.Object(
  {
    spec: Type.Optional(
      Type.Object(
        {
          flunderReference: Type.Optional(Type.String({ description: 'A name of another flunder, mutually exclusive to the FischerReference.' })),
          fischerReference: Type.Optional(Type.String({ description: 'A name of a fischer, mutually exclusive to the FlunderReference.' })),
          referenceType: Type.Optional(referenceType),
        },
        { description: 'The desired state of the Flunder.' },
      ),
    ),
    status,
  },
  { description: 'A Flunder refers to another Flunder or to a Fischer.' },
);

const v1alpha1Schema = Type.Object(
  {
    spec: Type.Optional(
      Type.Object(
        {
          reference: Type.Optional(Type.String({ description: 'A name of another flunder or fischer, depending on the referenceType.' })),
          referenceType: Type.Optional(referenceType),
        },
        { description: 'The desired state of the Flunder.' },
      ),
    ),
    status,
  },
  { description: 'A Flunder refers to another Flunder or to a Fischer.' },
);

/** v1beta1, also the hub (storage) version: one field per kind of reference. */
export type FlunderV1beta1 = ObjectOf<typeof v1beta1Schema>;
/** v1alpha1: one reference and a type that says what it names. */
export type FlunderV1alpha1 = ObjectOf<typeof v1alpha1Schema>;

const v1beta1 = defineVersion({
  name: 'v1beta1',
  schema: v1beta1Schema,
  printerColumns: [
    { name: 'Reference Type', type: 'string', jsonPath: '.spec.referenceType', description: 'What the reference names' },
    { name: 'Flunder Reference', type: 'string', jsonPath: '.spec.flunderReference', priority: 1 },
    { name: 'Fischer Reference', type: 'string', jsonPath: '.spec.fischerReference', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  default(obj) {
    const spec = obj.spec;
    if (spec && !spec.referenceType) {
      if (spec.flunderReference) spec.referenceType = 'Flunder';
      else if (spec.fischerReference) spec.referenceType = 'Fischer';
    }
  },
});

const v1alpha1 = defineVersion<typeof v1alpha1Schema, FlunderV1beta1>({
  name: 'v1alpha1',
  schema: v1alpha1Schema,
  printerColumns: [
    { name: 'Reference Type', type: 'string', jsonPath: '.spec.referenceType', description: 'What the reference names' },
    { name: 'Reference', type: 'string', jsonPath: '.spec.reference', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  default(obj) {
    // As SetDefaults_FlunderSpec: a reference without a type names a Flunder.
    if (obj.spec?.reference && !obj.spec.referenceType) obj.spec.referenceType = 'Flunder';
  },
  toHub(obj) {
    const { spec, ...rest } = obj;
    const hub: FlunderV1beta1 = { ...rest, apiVersion: `${GROUP}/v1beta1` };
    if (spec) {
      hub.spec = {};
      if (spec.referenceType === 'Flunder') hub.spec = { referenceType: 'Flunder', flunderReference: spec.reference };
      else if (spec.referenceType === 'Fischer') hub.spec = { referenceType: 'Fischer', fischerReference: spec.reference };
      if (hub.spec.flunderReference === undefined) delete hub.spec.flunderReference;
      if (hub.spec.fischerReference === undefined) delete hub.spec.fischerReference;
    }
    return hub;
  },
  fromHub(hub) {
    const { spec, ...rest } = hub;
    const obj: FlunderV1alpha1 = { ...rest, apiVersion: `${GROUP}/v1alpha1` };
    if (spec) {
      obj.spec = {};
      if (spec.referenceType === 'Flunder') obj.spec = { referenceType: 'Flunder', reference: spec.flunderReference ?? '' };
      else if (spec.referenceType === 'Fischer') obj.spec = { referenceType: 'Fischer', reference: spec.fischerReference ?? '' };
    }
    return obj;
  },
});

/** The rules of k8s.io/sample-apiserver's ValidateFlunderSpec, in hub terms. */
export function validateFlunder(obj: FlunderV1beta1): FieldError[] {
  const s = obj.spec ?? {};
  const errs: FieldError[] = [];
  const invalid = (field: string, value: string | undefined, why: string): void => {
    errs.push({ type: 'FieldValueInvalid', field: `spec.${field}`, message: `Invalid value: "${value ?? ''}": ${why}` });
  };
  if (s.flunderReference && s.fischerReference) {
    invalid('fischerReference', s.fischerReference, 'cannot be set with flunderReference at the same time');
  } else if (s.flunderReference && s.referenceType !== 'Flunder') {
    invalid('flunderReference', s.flunderReference, 'cannot be set if referenceType is not Flunder');
  } else if (s.fischerReference && s.referenceType !== 'Fischer') {
    invalid('fischerReference', s.fischerReference, 'cannot be set if referenceType is not Fischer');
  } else if (!s.fischerReference && s.referenceType === 'Fischer') {
    invalid('fischerReference', s.fischerReference, 'cannot be empty if referenceType is Fischer');
  } else if (!s.flunderReference && s.referenceType === 'Flunder') {
    invalid('flunderReference', s.flunderReference, 'cannot be empty if referenceType is Flunder');
  }
  return errs;
}

export const flunderKind = defineKind<FlunderV1beta1>({
  group: GROUP,
  kind: 'Flunder',
  namespaced: true,
  shortNames: ['fl'],
  categories: ['all', 'wardle'],
  versions: [v1beta1, v1alpha1],
  hubVersion: 'v1beta1',
  subresources: { status: true },
  selectableFields: [{ field: 'spec.referenceType', value: (obj) => obj.spec?.referenceType ?? '' }],
  strategy: {
    validate: validateFlunder,
    validateUpdate: (obj) => validateFlunder(obj),
  },
});
