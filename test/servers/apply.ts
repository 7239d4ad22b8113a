#!/usr/bin/env node
/**
 * A server for the server-side apply suite (apply.kapi.dev/v1): one kind, Robot, whose schema
 * has every shape managedFields record differently: scalars, a list-type=map list (keyed by
 * name), a set list, an atomic list, a map of strings, a nested object, a granular status list
 * map, with status and scale subresources. test/aggregation/server-side-apply.test.ts makes a
 * CRD of the same schema and runs the same writes against both.
 */
import type { JSONSchemaProps, KindDefinition } from '@kapi/apiserver';
import { apiServer, type APIServerBuilder } from '@kapi/apiserver';

export const GROUP = 'apply.kapi.dev';

/** The schema of Robot's v1 (spec and status; apiVersion, kind and metadata are added). */
export const ROBOT_SCHEMA: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        color: { type: 'string' },
        size: { type: 'string', default: 'medium' },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string' }, port: { type: 'integer' }, protocol: { type: 'string' } },
          },
        },
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        args: { type: 'array', 'x-kubernetes-list-type': 'atomic', items: { type: 'string' } },
        settings: { type: 'object', additionalProperties: { type: 'string' } },
        arm: {
          type: 'object',
          properties: {
            length: { type: 'integer' },
            joint: { type: 'object', properties: { kind: { type: 'string' }, angle: { type: 'integer' } } },
          },
        },
      },
    },
    status: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        phase: { type: 'string' },
        conditions: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['type'],
          items: { type: 'object', required: ['type'], properties: { type: { type: 'string' }, status: { type: 'string' } } },
        },
      },
    },
  },
};

export const robotKind: KindDefinition = {
  group: GROUP,
  kind: 'Robot',
  plural: 'robots',
  singular: 'robot',
  namespaced: true,
  versions: [{ name: 'v1', schema: ROBOT_SCHEMA }],
  hubVersion: 'v1',
  subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
};

export function applyServer(): APIServerBuilder {
  return apiServer({ name: 'apply', serviceHosts: ['api.apply.svc'] }).withKind(robotKind);
}

if (require.main === module) {
  applyServer()
    .run()
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
