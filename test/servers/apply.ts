#!/usr/bin/env node
/**
 * A server for the server-side apply suite (apply.kapi.dev): one kind, Robot, whose schema has
 * every shape managedFields record differently: scalars, a list-type=map list (keyed by name), a
 * set list, an atomic list, a map of strings, a map of maps, an atomic map, a nested object, a
 * granular status list map, with status and scale subresources; in two versions, v1 (the hub) and
 * v2, which calls spec.color spec.paint. test/aggregation/server-side-apply.test.ts makes a CRD of
 * the same schema (converted by a webhook running convertRobot, robot-conversion.ts) and runs the
 * same writes against both.
 */
import type { KubeObject } from '@kapi/apimachinery';
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
        zones: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'string' } } },
        selector: { type: 'object', 'x-kubernetes-map-type': 'atomic', properties: { app: { type: 'string' }, tier: { type: 'string' } } },
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

const specOf = (schema: JSONSchemaProps): JSONSchemaProps => schema.properties!.spec!;

/** v2's schema: v1's, with spec.paint for spec.color. */
export const ROBOT_V2_SCHEMA: JSONSchemaProps = (() => {
  const { color, ...rest } = specOf(ROBOT_SCHEMA).properties!;
  return { ...ROBOT_SCHEMA, properties: { ...ROBOT_SCHEMA.properties, spec: { ...specOf(ROBOT_SCHEMA), properties: { ...rest, paint: color! } } } };
})();

/** A Robot (of any group) in `version`: v1's spec.color is v2's spec.paint. Does not change its input. */
export function convertRobot(obj: KubeObject, version: 'v1' | 'v2'): KubeObject {
  const group = (obj.apiVersion ?? '').split('/')[0];
  const out = { ...obj, apiVersion: `${group}/${version}` } as KubeObject & { spec?: Record<string, unknown> };
  const [from, to] = version === 'v2' ? ['color', 'paint'] : ['paint', 'color'];
  if (out.spec && Object.hasOwn(out.spec, from)) {
    const { [from]: value, ...spec } = out.spec;
    out.spec = { ...spec, [to]: value };
  }
  return out;
}

export const robotKind: KindDefinition = {
  group: GROUP,
  kind: 'Robot',
  plural: 'robots',
  singular: 'robot',
  namespaced: true,
  // v2 first: the preferred version, as kube-apiserver prefers a CRD's v2 over its v1.
  versions: [
    { name: 'v2', schema: ROBOT_V2_SCHEMA, toHub: (obj) => convertRobot(obj, 'v1'), fromHub: (hub) => convertRobot(hub, 'v2') },
    { name: 'v1', schema: ROBOT_SCHEMA },
  ],
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
