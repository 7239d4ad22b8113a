/** Flunder: namespaced, served as v1beta1 (the hub) and v1alpha1, with a status subresource. */
import type { FieldError } from '@kapi/apimachinery';
import type { KindDefinition, JSONSchemaProps, VersionDefinition } from '@kapi/apiserver';
import { GROUP, type FlunderV1alpha1, type FlunderV1beta1 } from './types.js';

const referenceType: JSONSchemaProps = {
  type: 'string',
  enum: ['Flunder', 'Fischer'],
  description: 'The kind of object the reference names.',
};

const status: JSONSchemaProps = { type: 'object', description: 'The observed state of the Flunder.' };

const v1beta1: VersionDefinition<FlunderV1beta1, FlunderV1beta1> = {
  name: 'v1beta1',
  schema: {
    type: 'object',
    description: 'A Flunder refers to another Flunder or to a Fischer.',
    properties: {
      spec: {
        type: 'object',
        description: 'The desired state of the Flunder.',
        properties: {
          flunderReference: { type: 'string', description: 'A name of another flunder, mutually exclusive to the FischerReference.' },
          fischerReference: { type: 'string', description: 'A name of a fischer, mutually exclusive to the FlunderReference.' },
          referenceType: referenceType,
        },
      },
      status,
    },
  },
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
};

const v1alpha1: VersionDefinition<FlunderV1alpha1, FlunderV1beta1> = {
  name: 'v1alpha1',
  schema: {
    type: 'object',
    description: 'A Flunder refers to another Flunder or to a Fischer.',
    properties: {
      spec: {
        type: 'object',
        description: 'The desired state of the Flunder.',
        properties: {
          reference: { type: 'string', description: 'A name of another flunder or fischer, depending on the referenceType.' },
          referenceType: referenceType,
        },
      },
      status,
    },
  },
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
};

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

export const flunderKind: KindDefinition<FlunderV1beta1> = {
  group: GROUP,
  kind: 'Flunder',
  plural: 'flunders',
  singular: 'flunder',
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
};
