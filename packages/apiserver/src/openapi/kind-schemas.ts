/** A kind's schema at one version, and its List, as OpenAPI 3.0 components. */
import type { SchemaObject } from 'openapi3-ts/oas30';
import type { JSONSchemaProps, KindDefinition, VersionDefinition } from '../scheme/kind.js';
import {
  API_VERSION_DESCRIPTION,
  GVK_EXTENSION,
  KIND_DESCRIPTION,
  LIST_METADATA_DESCRIPTION,
  OBJECT_METADATA_DESCRIPTION,
  refField,
} from './meta-schemas.js';
import { kindSchemaName, metaSchemaName } from './names.js';

/** JSONSchemaProps is already OpenAPI 3.0 (structural) with x-kubernetes-* extensions: copy it. */
export function toOpenApiSchema(props: JSONSchemaProps): SchemaObject {
  return structuredClone(props) as SchemaObject;
}

export function kindSchema(kind: KindDefinition, version: VersionDefinition): SchemaObject {
  const own = toOpenApiSchema(version.schema);
  const ownProps = own.properties ?? {};
  delete ownProps['apiVersion'];
  delete ownProps['kind'];
  delete ownProps['metadata'];
  const { properties: _ignored, ...rest } = own;
  return {
    ...rest,
    type: 'object',
    properties: {
      apiVersion: { type: 'string', description: API_VERSION_DESCRIPTION },
      kind: { type: 'string', description: KIND_DESCRIPTION },
      metadata: refField(metaSchemaName('ObjectMeta'), OBJECT_METADATA_DESCRIPTION),
      ...ownProps,
    },
    [GVK_EXTENSION]: [{ group: kind.group, kind: kind.kind, version: version.name }],
  };
}

export function listSchema(kind: KindDefinition, version: VersionDefinition): SchemaObject {
  return {
    type: 'object',
    description: `${kind.kind}List is a list of ${kind.kind}`,
    required: ['items'],
    properties: {
      apiVersion: { type: 'string', description: API_VERSION_DESCRIPTION },
      items: {
        type: 'array',
        description: `List of ${kind.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        items: refField(kindSchemaName(kind.group, version.name, kind.kind)),
      },
      kind: { type: 'string', description: KIND_DESCRIPTION },
      metadata: refField(metaSchemaName('ListMeta'), LIST_METADATA_DESCRIPTION),
    },
    [GVK_EXTENSION]: [{ group: kind.group, kind: `${kind.kind}List`, version: version.name }],
  };
}
