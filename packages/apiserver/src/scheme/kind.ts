/**
 * How a kind is declared, once: its versions with their schemas, the hub (storage) version,
 * conversion to and from the hub, defaulting, validation, printer columns and subresources.
 */
import type { FieldError, KubeObject } from '@kapi/apimachinery';

/** An OpenAPI v3 (3.0, structural) schema as CRDs write them, with x-kubernetes-* extensions. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  /** CEL rules checked at this node with `self` its value (and `oldSelf` the old one on update), as CRDs have them. */
  'x-kubernetes-validations'?: ValidationRule[];
}

/** A CRD's x-kubernetes-validations entry (apiextensions.k8s.io/v1 ValidationRule). */
export interface ValidationRule {
  /** A CEL expression that must be true; one that reads `oldSelf` is a transition rule (checked on update only). */
  rule: string;
  /** The error's text (default "failed rule: <rule>"). */
  message?: string;
  /** A CEL expression giving the error's text (a string); `message` when it fails. */
  messageExpression?: string;
  /** Where the error points, relative to this node (".spec.x", "['a.b']"); default this node. */
  fieldPath?: string;
  /** The error's type (default FieldValueInvalid). */
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  /** Evaluate a transition rule on create too, with oldSelf an optional (oldSelf.hasValue()). */
  optionalOldSelf?: boolean;
}

/** A column of `kubectl get` (and -o wide for priority > 0), as CRD additionalPrinterColumns. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description?: string;
  /** A simple JSONPath into the object in this version, e.g. ".spec.referenceType". */
  jsonPath: string;
  priority?: number;
}

export interface VersionDefinition<T extends KubeObject = KubeObject, Hub extends KubeObject = KubeObject> {
  /** e.g. "v1alpha1". */
  name: string;
  /** Served over the API (default true). */
  served?: boolean;
  /** Schema of spec/status and other top-level fields; apiVersion, kind and metadata are added. */
  schema: JSONSchemaProps;
  /** Columns after NAME (Created At is the default when none are given; AGE is added by kubectl). */
  printerColumns?: PrinterColumn[];
  // Hooks are declared as methods so a version typed with its own T fits KindDefinition.versions.
  /** Sets defaults on an object decoded in this version, before conversion to the hub. */
  default?(obj: T): void;
  /** This version → hub. Omitted on the hub version. Must not mutate its input. */
  toHub?(obj: T): Hub;
  /** Hub → this version. Omitted on the hub version. Must not mutate its input. */
  fromHub?(hub: Hub): T;
  /** Sent as a Warning header when this version is used. */
  deprecationWarning?: string;
}

export interface ScaleSubresource {
  /** JSONPath of the desired replicas in the hub object, e.g. ".spec.replicas". */
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/**
 * An action subresource (POST <resource>/<name>/<subresource>, e.g. flunders/x/approve): its own
 * request and response kinds, served by the resource's RestStorage.action.
 */
export interface ActionSubresource {
  /** The kind the POST body is (apiVersion/kind checked, validated against `schema`); absent: no body. */
  requestKind?: string;
  /** Schema of the request kind's fields besides apiVersion/kind/metadata. */
  schema?: JSONSchemaProps;
  /** What the answer is: group/version default to the resource's. */
  responseKind: { group?: string; version?: string; kind: string };
}

/**
 * A connect subresource (GET/POST <resource>/<name>/<subresource> upgraded to a stream, as
 * pods/exec, attach and portforward are), served by the resource's RestStorage.connect.
 */
export interface ConnectSubresource {
  /** The methods it answers (kubectl and client-go upgrade GET for WebSocket, POST for SPDY). */
  methods: ReadonlyArray<'GET' | 'POST'>;
  /** The kind discovery names as its response kind (e.g. "Status" for exec-like streams). */
  responseKind?: string;
}

/** Extra field selectors beyond metadata.name/metadata.namespace, computed from the hub object. */
export interface SelectableField<Hub extends KubeObject = KubeObject> {
  /** e.g. "spec.referenceType". */
  field: string;
  value: (obj: Hub) => string;
}

/** The hooks of a kind's strategy (k8s.io/apiserver/pkg/registry/rest RESTCreateStrategy & co). */
export interface KindStrategy<Hub extends KubeObject = KubeObject> {
  /** Clears what a create may not set (e.g. status); called on the hub object. */
  prepareForCreate?: (obj: Hub) => void;
  /** Keeps what an update may not change (e.g. status on the main resource). */
  prepareForUpdate?: (obj: Hub, old: Hub) => void;
  /** Semantic validation beyond the schema, in hub terms; paths as the user's version names them. */
  validate?: (obj: Hub) => FieldError[];
  validateUpdate?: (obj: Hub, old: Hub) => FieldError[];
  /** Normalises an object before it is written. */
  canonicalize?: (obj: Hub) => void;
}

export type ResourceVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** Every verb of a stored kind, in discovery's (sorted) order. */
export const STORED_RESOURCE_VERBS: readonly ResourceVerb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The verbs `kind` serves. */
export function verbsOf(kind: Pick<KindDefinition, 'verbs'>): readonly ResourceVerb[] {
  return kind.verbs ?? STORED_RESOURCE_VERBS;
}

export interface KindDefinition<Hub extends KubeObject = KubeObject> {
  group: string;
  kind: string;
  /** Lower-case plural used in URLs, e.g. "flunders". */
  plural: string;
  /** Lower-case singular, e.g. "flunder" (default: kind lower-cased). */
  singular?: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Versions in preference order: the first served one is preferred. */
  versions: VersionDefinition<KubeObject, Hub>[];
  /** The version objects are stored in; its VersionDefinition has no toHub/fromHub. */
  hubVersion: string;
  subresources?: {
    status?: boolean;
    scale?: ScaleSubresource;
    actions?: Readonly<Record<string, ActionSubresource>>;
    connect?: Readonly<Record<string, ConnectSubresource>>;
  };
  /**
   * The verbs the resource serves (discovery, OpenAPI and routing show exactly these); default all
   * eight of a stored kind. A resource that is not stored lists what its implementation offers.
   */
  verbs?: readonly ResourceVerb[];
  selectableFields?: SelectableField<Hub>[];
  strategy?: KindStrategy<Hub>;
}
