/**
 * The schema of metav1.ObjectMeta as a request may send it: what unknown-field detection treats as
 * known under `metadata`, and what schema validation checks the types of.
 */
import type { JSONSchemaProps } from './kind.js';

const stringMap: JSONSchemaProps = { type: 'object', additionalProperties: { type: 'string' } };
const stringList: JSONSchemaProps = { type: 'array', items: { type: 'string' } };
/** Go clients send zero timestamps as null. */
const timestamp: JSONSchemaProps = { type: 'string', nullable: true };

const ownerReference: JSONSchemaProps = {
  type: 'object',
  required: ['apiVersion', 'kind', 'name', 'uid'],
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    name: { type: 'string' },
    uid: { type: 'string' },
    controller: { type: 'boolean' },
    blockOwnerDeletion: { type: 'boolean' },
  },
};

const managedFieldsEntry: JSONSchemaProps = {
  type: 'object',
  properties: {
    manager: { type: 'string' },
    operation: { type: 'string' },
    apiVersion: { type: 'string' },
    time: timestamp,
    fieldsType: { type: 'string' },
    fieldsV1: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    subresource: { type: 'string' },
  },
};

export const OBJECT_META_SCHEMA: JSONSchemaProps = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    generateName: { type: 'string' },
    namespace: { type: 'string' },
    selfLink: { type: 'string' },
    uid: { type: 'string' },
    resourceVersion: { type: 'string' },
    generation: { type: 'integer' },
    creationTimestamp: timestamp,
    deletionTimestamp: timestamp,
    deletionGracePeriodSeconds: { type: 'integer', nullable: true },
    labels: stringMap,
    annotations: stringMap,
    ownerReferences: { type: 'array', items: ownerReference },
    finalizers: stringList,
    managedFields: { type: 'array', items: managedFieldsEntry },
  },
};

/** A version's schema as a whole object: apiVersion, kind and metadata added to its own fields. */
export function objectSchemaFor(versionSchema: JSONSchemaProps): JSONSchemaProps {
  return {
    ...versionSchema,
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: OBJECT_META_SCHEMA,
      ...(versionSchema.properties ?? {}),
    },
  };
}
