#!/usr/bin/env node
/**
 * A server for the x-kubernetes-validations suite (validations.kapi.dev/v1): one kind, Gadget,
 * whose schema carries CEL rules of every shape a CRD can have (at the root, on an object, on a
 * scalar, on list items by key, on map values; message, messageExpression, fieldPath, reason, a
 * transition rule, optionalOldSelf). test/aggregation/schema-validations.test.ts makes a CRD of the
 * same schema and asks both the same.
 */
import type { JSONSchemaProps, KindDefinition } from '@kapi/apiserver';
import { apiServer, type APIServerBuilder } from '@kapi/apiserver';

export const GROUP = 'validations.kapi.dev';

/** The schema of Gadget's v1 (spec and status; apiVersion, kind and metadata are added). */
export const GADGET_SCHEMA: JSONSchemaProps = {
  type: 'object',
  'x-kubernetes-validations': [{ rule: "self.metadata.name.startsWith('g-')", message: "a gadget's name starts with g-" }],
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: 'self.minReplicas <= self.maxReplicas', message: 'minReplicas must not exceed maxReplicas' },
        {
          rule: "!has(self.mode) || self.mode != 'legacy'",
          messageExpression: "'mode ' + self.mode + ' is no longer offered'",
          fieldPath: '.mode',
          reason: 'FieldValueForbidden',
        },
        { rule: 'self.name == oldSelf.name', message: 'name is immutable', fieldPath: '.name' },
        { rule: "!has(self.tier) || self.tier != 'gold' || has(self.owner)", message: 'a gold gadget needs an owner', fieldPath: '.owner', reason: 'FieldValueRequired' },
        { rule: '!oldSelf.hasValue() || !has(oldSelf.value().tier) || has(self.tier)', optionalOldSelf: true, message: 'tier cannot be removed' },
      ],
      properties: {
        name: { type: 'string', maxLength: 64 },
        owner: { type: 'string', maxLength: 64 },
        tier: { type: 'string', maxLength: 16 },
        minReplicas: { type: 'integer' },
        maxReplicas: { type: 'integer' },
        mode: { type: 'string', maxLength: 32, 'x-kubernetes-validations': [{ rule: 'self.size() <= 8' }] },
        ports: {
          type: 'array',
          maxItems: 16,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string', maxLength: 16 }, port: { type: 'integer' } },
            'x-kubernetes-validations': [{ rule: 'self.port >= oldSelf.port', message: 'a port may only grow' }],
          },
        },
        tags: {
          type: 'array',
          maxItems: 16,
          items: { type: 'string', maxLength: 32 },
          'x-kubernetes-validations': [{ rule: 'self.all(t, t.lowerAscii() == t)', message: 'tags are lower case', reason: 'FieldValueInvalid' }],
        },
        grid: {
          type: 'array',
          maxItems: 100,
          items: { type: 'integer' },
          'x-kubernetes-validations': [{ rule: 'self.all(a, self.all(b, self.all(c, a + b + c >= 0)))', message: 'the grid is not negative' }],
        },
        limits: {
          type: 'object',
          additionalProperties: { type: 'string', maxLength: 16, 'x-kubernetes-validations': [{ rule: 'isQuantity(self)', message: 'must be a quantity' }] },
        },
      },
    },
  },
};

export const gadgetKind: KindDefinition = {
  group: GROUP,
  kind: 'Gadget',
  plural: 'gadgets',
  singular: 'gadget',
  namespaced: true,
  versions: [{ name: 'v1', schema: GADGET_SCHEMA }],
  hubVersion: 'v1',
};

export function validationsServer(): APIServerBuilder {
  return apiServer({ name: 'validations', serviceHosts: ['api.validations.svc'] }).withKind(gadgetKind);
}

if (require.main === module) {
  validationsServer()
    .run()
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
