#!/usr/bin/env node
/**
 * A server for the HorizontalPodAutoscaler test (fleet.kapi.dev/v1): Fleet, a kind with a scale
 * subresource and the label selector the HPA needs (status.selector). A fleet is always at its
 * size: every write sets status.replicas to spec.replicas (what a real controller would report
 * once its members run), so the HPA reads the current size it scales from.
 */
import { Type } from '@sinclair/typebox';
import { apiServer, defineKind, defineVersion, type APIServerBuilder, type ObjectOf } from '@kapi/apiserver';

export const GROUP = 'fleet.kapi.dev';

const fleetSchema = Type.Object({
  spec: Type.Optional(Type.Object({ replicas: Type.Optional(Type.Integer({ minimum: 0, description: 'How many members the fleet should have.' })) })),
  status: Type.Optional(
    Type.Object({
      replicas: Type.Optional(Type.Integer({ description: 'How many members it has.' })),
      selector: Type.Optional(Type.String({ description: 'The label selector of its members, as the HPA reads it.' })),
    }),
  ),
});
export type Fleet = ObjectOf<typeof fleetSchema>;

export const fleetKind = defineKind<Fleet>({
  group: GROUP,
  kind: 'Fleet',
  namespaced: true,
  versions: [
    defineVersion({
      name: 'v1',
      schema: fleetSchema,
      printerColumns: [
        { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas' },
        { name: 'Current', type: 'integer', jsonPath: '.status.replicas' },
      ],
    }),
  ],
  hubVersion: 'v1',
  subresources: { scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
  strategy: {
    canonicalize(fleet) {
      fleet.status = { replicas: fleet.spec?.replicas ?? 0, selector: `fleet=${fleet.metadata.name ?? ''}` };
    },
  },
});

export function fleetServer(): APIServerBuilder {
  return apiServer({ name: 'fleet', serviceHosts: ['api.fleet.svc'] }).withKind(fleetKind);
}

if (require.main === module) {
  fleetServer()
    .run()
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
