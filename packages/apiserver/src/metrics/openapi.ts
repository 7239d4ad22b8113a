/**
 * The OpenAPI v3 document of external.metrics.k8s.io/v1beta1, as Go's custom-metrics-apiserver
 * publishes it (kube-openapi from its go-restful routes and k8s.io/metrics' generated
 * definitions): the APIResourceList path and the one wildcard route
 * /namespaces/{namespace}/{resource} (operation listExternalMetricsV1beta1ExternalMetricValue),
 * ExternalMetricValue and ExternalMetricValueList with Go's descriptions. Left out of Go's
 * parameters: `name` (a path parameter its route declares though the path has no {name}) and
 * `shardSelector` (kapi's lists do not take it).
 */
import type { OpenAPIObject, SchemaObject } from 'openapi3-ts/oas30';
import { GVK_EXTENSION, metaSchemas } from '../openapi/meta-schemas.js';
import { groupVersionCamel, groupVersionTag, metaSchemaName, schemaRef } from '../openapi/names.js';
import { namespacedListParameters, resourcesPath } from '../openapi/paths.js';
import { EXTERNAL_METRICS_GROUP as GROUP, EXTERNAL_METRICS_VERSION as VERSION } from './types.js';

const TYPES = 'io.k8s.metrics.pkg.apis.external_metrics.v1beta1';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const API_VERSION_DESCRIPTION =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND_DESCRIPTION =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
const LIST_MEDIA_TYPES = ['application/json', 'application/json;stream=watch', 'application/yaml'];

const typeMeta = {
  apiVersion: { description: API_VERSION_DESCRIPTION, type: 'string' },
  kind: { description: KIND_DESCRIPTION, type: 'string' },
} satisfies Record<string, SchemaObject>;

function schemas(): Record<string, SchemaObject> {
  const meta = metaSchemas([]);
  const pick = (name: string): [string, SchemaObject] => [metaSchemaName(name), meta[metaSchemaName(name)] as SchemaObject];
  return Object.fromEntries([
    [
      QUANTITY,
      {
        description:
          'Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.',
        oneOf: [{ type: 'string' }, { type: 'number' }],
      },
    ],
    ...['APIResource', 'APIResourceList', 'ListMeta', 'Time'].map(pick),
    [
      `${TYPES}.ExternalMetricValue`,
      {
        description:
          'ExternalMetricValue is a metric value for external metric A single metric value is identified by metric name and a set of string labels. For one metric there can be multiple values with different sets of labels.',
        type: 'object',
        required: ['metricName', 'metricLabels', 'timestamp', 'value'],
        properties: {
          ...typeMeta,
          metricLabels: { description: 'a set of labels that identify a single time series for the metric', type: 'object', additionalProperties: { type: 'string' } },
          metricName: { description: 'the name of the metric', type: 'string', default: '' },
          timestamp: { description: 'indicates the time at which the metrics were produced', allOf: [schemaRef(metaSchemaName('Time'))] },
          value: { description: 'the value of the metric', allOf: [schemaRef(QUANTITY)] },
          window: {
            description:
              'indicates the window ([Timestamp-Window, Timestamp]) from which these metrics were calculated, when returning rate metrics calculated from cumulative metrics (or zero for non-calculated instantaneous metrics).',
            type: 'integer',
            format: 'int64',
          },
        },
        [GVK_EXTENSION]: [{ group: GROUP, kind: 'ExternalMetricValue', version: VERSION }],
      },
    ],
    [
      `${TYPES}.ExternalMetricValueList`,
      {
        description: 'ExternalMetricValueList is a list of values for a given metric for some set labels',
        type: 'object',
        required: ['items'],
        properties: {
          ...typeMeta,
          items: { description: 'value of the metric matching a given set of labels', type: 'array', items: schemaRef(`${TYPES}.ExternalMetricValue`) },
          metadata: { default: {}, allOf: [schemaRef(metaSchemaName('ListMeta'))] },
        },
        [GVK_EXTENSION]: [{ group: GROUP, kind: 'ExternalMetricValueList', version: VERSION }],
      },
    ],
  ]);
}

/** The document /openapi/v3/apis/external.metrics.k8s.io/v1beta1 serves (and its part of /openapi/v2). */
export function externalMetricsOpenAPI(): OpenAPIObject {
  const list = `${TYPES}.ExternalMetricValueList`;
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths: {
      ...resourcesPath(GROUP, VERSION),
      [`/apis/${GROUP}/${VERSION}/namespaces/{namespace}/{resource}`]: {
        get: {
          tags: [groupVersionTag(GROUP, VERSION)],
          description: 'list external metrics',
          operationId: `list${groupVersionCamel(GROUP, VERSION)}ExternalMetricValue`,
          responses: { '200': { description: 'OK', content: Object.fromEntries(LIST_MEDIA_TYPES.map((m) => [m, { schema: schemaRef(list) }])) } },
        },
        parameters: [
          ...namespacedListParameters(),
          { name: 'resource', in: 'path', description: 'the metric', required: true, schema: { type: 'string', uniqueItems: true } },
        ],
      },
    },
    components: { schemas: schemas() },
  };
}
