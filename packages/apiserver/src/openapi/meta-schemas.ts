/**
 * The shared apimachinery definitions the per group-version documents reference (ObjectMeta,
 * ListMeta, Status, DeleteOptions, Patch, WatchEvent, …) and autoscaling/v1 Scale, written out
 * here in the shape kube-openapi publishes them.
 */
import type { ReferenceObject, SchemaObject } from 'openapi3-ts/oas30';
import { AUTOSCALING_V1, META_V1, RUNTIME, metaSchemaName, schemaRef } from './names.js';

export const GVK_EXTENSION = 'x-kubernetes-group-version-kind';

export interface GroupVersionKindExtension {
  group: string;
  kind: string;
  version: string;
}

type Schemas = Record<string, SchemaObject>;

const str = (description: string): SchemaObject => ({ type: 'string', description });
const int = (description: string, format = 'int64'): SchemaObject => ({ type: 'integer', format, description });
const bool = (description: string): SchemaObject => ({ type: 'boolean', description });
const strArray = (description: string): SchemaObject => ({ type: 'array', items: { type: 'string', default: '' }, description });
const strMap = (description: string): SchemaObject => ({ type: 'object', additionalProperties: { type: 'string', default: '' }, description });

/** `allOf: [$ref]` with a default, as kube-openapi v3 wraps referenced struct fields. */
export function refField(name: string, description?: string, defaultValue: unknown = {}): SchemaObject {
  const ref: ReferenceObject = schemaRef(name);
  return { allOf: [ref], ...(defaultValue !== undefined ? { default: defaultValue } : {}), ...(description ? { description } : {}) };
}

export const API_VERSION_DESCRIPTION =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
export const KIND_DESCRIPTION =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
export const OBJECT_METADATA_DESCRIPTION =
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
export const LIST_METADATA_DESCRIPTION =
  'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

const TIME = metaSchemaName('Time');

function gvkList(entries: GroupVersionKindExtension[]): { [GVK_EXTENSION]: GroupVersionKindExtension[] } {
  return { [GVK_EXTENSION]: entries };
}

/**
 * The meta schemas. `groupVersions` are the served group-versions whose DeleteOptions and
 * WatchEvent kinds the GVK arrays list (Go lists every group's alongside core v1 and meta).
 */
export function metaSchemas(groupVersions: Array<{ group: string; version: string }>): Schemas {
  const optionKinds = (kind: string): GroupVersionKindExtension[] => [
    { group: '', kind, version: 'v1' },
    ...groupVersions.map((gv) => ({ group: gv.group, kind, version: gv.version })),
  ];
  return {
    [TIME]: {
      type: 'string',
      format: 'date-time',
      description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.',
    },
    [metaSchemaName('FieldsV1')]: {
      type: 'object',
      description: 'FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.',
    },
    [metaSchemaName('ManagedFieldsEntry')]: {
      type: 'object',
      description: 'ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.',
      properties: {
        apiVersion: str('APIVersion defines the version of this resource that this field set applies to.'),
        fieldsType: str('FieldsType is the discriminator for the different fields format and version. There is currently only one possible value: "FieldsV1"'),
        fieldsV1: refField(metaSchemaName('FieldsV1'), 'FieldsV1 holds the first JSON version format as described in the "FieldsV1" type.', undefined),
        manager: str('Manager is an identifier of the workflow managing these fields.'),
        operation: str("Operation is the type of operation which lead to this ManagedFieldsEntry being created. The only valid values for this field are 'Apply' and 'Update'."),
        subresource: str('Subresource is the name of the subresource used to update that object, or empty string if the object was updated through the main resource.'),
        time: refField(TIME, 'Time is the timestamp of when the ManagedFields entry was added.', undefined),
      },
    },
    [metaSchemaName('OwnerReference')]: {
      type: 'object',
      description: 'OwnerReference contains enough information to let you identify an owning object. An owning object must be in the same namespace as the dependent, or be cluster-scoped, so there is no namespace field.',
      required: ['apiVersion', 'kind', 'name', 'uid'],
      properties: {
        apiVersion: { ...str('API version of the referent.'), default: '' },
        blockOwnerDeletion: bool('If true, AND if the owner has the "foregroundDeletion" finalizer, then the owner cannot be deleted from the key-value store until this reference is removed.'),
        controller: bool('If true, this reference points to the managing controller.'),
        kind: { ...str('Kind of the referent.'), default: '' },
        name: { ...str('Name of the referent.'), default: '' },
        uid: { ...str('UID of the referent.'), default: '' },
      },
      'x-kubernetes-map-type': 'atomic',
    },
    [metaSchemaName('ObjectMeta')]: {
      type: 'object',
      description: 'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
      properties: {
        annotations: strMap('Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata. They are not queryable and should be preserved when modifying objects.'),
        creationTimestamp: refField(TIME, 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.', undefined),
        deletionGracePeriodSeconds: int('Number of seconds allowed for this object to gracefully terminate before it will be removed from the system. Only set when deletionTimestamp is also set. May only be shortened. Read-only.'),
        deletionTimestamp: refField(TIME, 'DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted. This field is set by the server when a graceful deletion is requested by the user, and is not directly settable by a client.', undefined),
        finalizers: {
          ...strArray('Must be empty before the object is deleted from the registry. Each entry is an identifier for the responsible component that will remove the entry from the list.'),
          'x-kubernetes-list-type': 'set',
          'x-kubernetes-patch-strategy': 'merge',
        },
        generateName: str('GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.'),
        generation: int('A sequence number representing a specific generation of the desired state. Populated by the system. Read-only.'),
        labels: strMap('Map of string keys and values that can be used to organize and categorize (scope and select) objects. May match selectors of replication controllers and services. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels'),
        managedFields: {
          type: 'array',
          description: 'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.',
          items: refField(metaSchemaName('ManagedFieldsEntry')),
          'x-kubernetes-list-type': 'atomic',
        },
        name: str('Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names'),
        namespace: str('Namespace defines the space within which each name must be unique. An empty namespace is equivalent to the "default" namespace, but "default" is the canonical representation. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces'),
        ownerReferences: {
          type: 'array',
          description: 'List of objects depended by this object. If ALL objects in the list have been deleted, this object will be garbage collected.',
          items: refField(metaSchemaName('OwnerReference')),
          'x-kubernetes-list-map-keys': ['uid'],
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-patch-merge-key': 'uid',
          'x-kubernetes-patch-strategy': 'merge',
        },
        resourceVersion: str('An opaque value that represents the internal version of this object that can be used by clients to determine when objects have changed. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency'),
        selfLink: str('Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.'),
        uid: str('UID is the unique in time and space value for this object. It is typically generated by the server on successful creation of a resource and is not allowed to change on PUT operations. Populated by the system. Read-only. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids'),
      },
    },
    [metaSchemaName('ListMeta')]: {
      type: 'object',
      description: 'ListMeta describes metadata that synthetic resources must have, including lists and various status objects. A resource may have only one of {ObjectMeta, ListMeta}.',
      properties: {
        continue: str('continue may be set if the user set a limit on the number of items returned, and indicates that the server has more data available.'),
        remainingItemCount: int('remainingItemCount is the number of subsequent items in the list which are not included in this list response.'),
        resourceVersion: str("String that identifies the server's internal version of this object that can be used by clients to determine when objects have changed."),
        selfLink: str('Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.'),
      },
    },
    [metaSchemaName('StatusCause')]: {
      type: 'object',
      description: 'StatusCause provides more information about an api.Status failure, including cases when multiple errors are encountered.',
      properties: {
        field: str('The field of the resource that has caused this error, as named by its JSON serialization.'),
        message: str('A human-readable description of the cause of the error.'),
        reason: str('A machine-readable description of the cause of the error. If this value is empty there is no information available.'),
      },
    },
    [metaSchemaName('StatusDetails')]: {
      type: 'object',
      description: 'StatusDetails is a set of additional properties that MAY be set by the server to provide additional information about a response.',
      properties: {
        causes: {
          type: 'array',
          description: 'The Causes array includes more details associated with the StatusReason failure.',
          items: refField(metaSchemaName('StatusCause')),
          'x-kubernetes-list-type': 'atomic',
        },
        group: str('The group attribute of the resource associated with the status StatusReason.'),
        kind: str('The kind attribute of the resource associated with the status StatusReason.'),
        name: str('The name attribute of the resource associated with the status StatusReason (when there is a single name which can be described).'),
        retryAfterSeconds: int('If specified, the time in seconds before the operation should be retried.', 'int32'),
        uid: str('UID of the resource. (when there is a single resource which can be described).'),
      },
    },
    [metaSchemaName('Status')]: {
      type: 'object',
      description: 'Status is a return value for calls that don\'t return other objects.',
      properties: {
        apiVersion: str(API_VERSION_DESCRIPTION),
        code: int('Suggested HTTP return code for this status, 0 if not set.', 'int32'),
        details: refField(metaSchemaName('StatusDetails'), 'Extended data associated with the reason.', undefined),
        kind: str(KIND_DESCRIPTION),
        message: str('A human-readable description of the status of this operation.'),
        metadata: refField(metaSchemaName('ListMeta'), LIST_METADATA_DESCRIPTION),
        reason: str('A machine-readable description of why this operation is in the "Failure" status.'),
        status: str('Status of the operation. One of: "Success" or "Failure".'),
      },
      ...gvkList([{ group: '', kind: 'Status', version: 'v1' }]),
    },
    [metaSchemaName('Preconditions')]: {
      type: 'object',
      description: 'Preconditions must be fulfilled before an operation (update, delete, etc.) is carried out.',
      properties: {
        resourceVersion: str('Specifies the target ResourceVersion'),
        uid: str('Specifies the target UID.'),
      },
    },
    [metaSchemaName('DeleteOptions')]: {
      type: 'object',
      description: 'DeleteOptions may be provided when deleting an API object.',
      properties: {
        apiVersion: str(API_VERSION_DESCRIPTION),
        dryRun: {
          ...strArray('When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed'),
          'x-kubernetes-list-type': 'atomic',
        },
        gracePeriodSeconds: int('The duration in seconds before the object should be deleted.'),
        kind: str(KIND_DESCRIPTION),
        orphanDependents: bool('Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.'),
        preconditions: refField(metaSchemaName('Preconditions'), 'Must be fulfilled before a deletion is carried out. If not possible, a 409 Conflict status will be returned.', undefined),
        propagationPolicy: str("Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'."),
      },
      ...gvkList(optionKinds('DeleteOptions')),
    },
    [metaSchemaName('Patch')]: {
      type: 'object',
      description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    },
    [`${RUNTIME}.RawExtension`]: {
      type: 'object',
      description: 'RawExtension is used to hold extensions in external versions.',
    },
    [metaSchemaName('WatchEvent')]: {
      type: 'object',
      description: 'Event represents a single event to a watched resource.',
      required: ['type', 'object'],
      properties: {
        object: refField(`${RUNTIME}.RawExtension`, 'Object is:\n * If Type is Added or Modified: the new state of the object.\n * If Type is Deleted: the state of the object immediately before deletion.\n * If Type is Error: *Status is recommended; other types may make sense\n   depending on context.', undefined),
        type: { type: 'string', default: '' },
      },
      ...gvkList(optionKinds('WatchEvent')),
    },
    [metaSchemaName('APIResource')]: {
      type: 'object',
      description: 'APIResource specifies the name of a resource and whether it is namespaced.',
      required: ['name', 'singularName', 'namespaced', 'kind', 'verbs'],
      properties: {
        categories: strArray('categories is a list of the grouped resources this resource belongs to (e.g. \'all\')'),
        group: str('group is the preferred group of the resource.'),
        kind: { ...str("kind is the kind for the resource (e.g. 'Foo' is the kind for a resource 'foo')"), default: '' },
        name: { ...str('name is the plural name of the resource.'), default: '' },
        namespaced: { ...bool('namespaced indicates if a resource is namespaced or not.'), default: false },
        shortNames: strArray('shortNames is a list of suggested short names of the resource.'),
        singularName: { ...str('singularName is the singular name of the resource.'), default: '' },
        storageVersionHash: str('The hash value of the storage version, the version this resource is converted to when written to the data store.'),
        verbs: strArray('verbs is a list of supported kube verbs'),
        version: str('version is the preferred version of the resource.'),
      },
    },
    [metaSchemaName('APIResourceList')]: {
      type: 'object',
      description: 'APIResourceList is a list of APIResource, it is used to expose the name of the resources supported in a specific group and version, and if the resource is namespaced.',
      required: ['groupVersion', 'resources'],
      properties: {
        apiVersion: str(API_VERSION_DESCRIPTION),
        groupVersion: { ...str('groupVersion is the group and version this APIResourceList is for.'), default: '' },
        kind: str(KIND_DESCRIPTION),
        resources: { type: 'array', description: 'resources contains the name of the resources and if they are namespaced.', items: refField(metaSchemaName('APIResource')), 'x-kubernetes-list-type': 'atomic' },
      },
      ...gvkList([{ group: '', kind: 'APIResourceList', version: 'v1' }]),
    },
  };
}

/** autoscaling/v1 Scale, for kinds with a scale subresource. */
export function scaleSchemas(): Schemas {
  return {
    [`${AUTOSCALING_V1}.ScaleSpec`]: {
      type: 'object',
      description: 'ScaleSpec describes the attributes of a scale subresource.',
      properties: { replicas: int('replicas is the desired number of instances for the scaled object.', 'int32') },
    },
    [`${AUTOSCALING_V1}.ScaleStatus`]: {
      type: 'object',
      description: 'ScaleStatus represents the current status of a scale subresource.',
      required: ['replicas'],
      properties: {
        replicas: { ...int('replicas is the actual number of observed instances of the scaled object.', 'int32'), default: 0 },
        selector: str('selector is the label query over pods that should match the replicas count.'),
      },
    },
    [`${AUTOSCALING_V1}.Scale`]: {
      type: 'object',
      description: 'Scale represents a scaling request for a resource.',
      properties: {
        apiVersion: str(API_VERSION_DESCRIPTION),
        kind: str(KIND_DESCRIPTION),
        metadata: refField(metaSchemaName('ObjectMeta'), OBJECT_METADATA_DESCRIPTION),
        spec: refField(`${AUTOSCALING_V1}.ScaleSpec`, 'spec defines the behavior of the scale.'),
        status: refField(`${AUTOSCALING_V1}.ScaleStatus`, 'status is the current status of the scale.'),
      },
      ...gvkList([{ group: 'autoscaling', kind: 'Scale', version: 'v1' }]),
    },
  };
}

export { META_V1 };
