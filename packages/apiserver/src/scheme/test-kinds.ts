/** A two-version kind for unit tests: v1beta1 is the hub, v1alpha1 names one field differently. */
import type { KubeObject } from '@kapi/apimachinery';
import type { KindDefinition, JSONSchemaProps } from './kind.js';

export interface WidgetHub extends KubeObject {
  spec?: { referenceType?: 'Flunder' | 'Fischer'; reference?: string; replicas?: number; size?: string };
  status?: { replicas?: number; phase?: string };
}

const statusSchema: JSONSchemaProps = {
  type: 'object',
  properties: { replicas: { type: 'integer' }, phase: { type: 'string' } },
};

/** The fields both versions share. */
const commonSpecFields: Record<string, JSONSchemaProps> = {
  referenceType: { type: 'string', enum: ['Flunder', 'Fischer'] },
  size: { type: 'string' },
};

function versionSchema(specFields: Record<string, JSONSchemaProps>): JSONSchemaProps {
  return {
    type: 'object',
    properties: {
      spec: { type: 'object', required: ['referenceType'], properties: { ...commonSpecFields, ...specFields } },
      status: statusSchema,
    },
  };
}

const hubSchema = versionSchema({
  reference: { type: 'string' },
  replicas: { type: 'integer', minimum: 0, default: 1 },
  extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  port: { 'x-kubernetes-int-or-string': true },
});

/** v1alpha1 calls `reference` `ref`, and has no default replicas. */
const alphaSchema = versionSchema({
  ref: { type: 'string' },
  replicas: { type: 'integer', minimum: 0 },
});

export function widgetKind(overrides: Partial<KindDefinition<WidgetHub>> = {}): KindDefinition<WidgetHub> {
  return {
    group: 'test.example.com',
    kind: 'Widget',
    plural: 'widgets',
    namespaced: true,
    hubVersion: 'v1beta1',
    versions: [
      { name: 'v1beta1', schema: hubSchema },
      {
        name: 'v1alpha1',
        schema: alphaSchema,
        default(obj: KubeObject) {
          const spec = obj.spec as Record<string, unknown> | undefined;
          if (spec && spec.size === undefined) spec.size = 'small';
        },
        toHub(obj: KubeObject): WidgetHub {
          const { spec, ...rest } = obj;
          const { ref, ...specRest } = (spec ?? {}) as Record<string, unknown>;
          return { ...rest, ...(spec ? { spec: { ...specRest, ...(ref !== undefined ? { reference: ref } : {}) } } : {}) } as WidgetHub;
        },
        fromHub(hub: WidgetHub): KubeObject {
          const { spec, ...rest } = hub;
          const { reference, ...specRest } = spec ?? {};
          return { ...rest, ...(spec ? { spec: { ...specRest, ...(reference !== undefined ? { ref: reference } : {}) } } : {}) };
        },
      },
    ],
    subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
    selectableFields: [{ field: 'spec.referenceType', value: (o) => o.spec?.referenceType ?? '' }],
    ...overrides,
  };
}
