/**
 * meta.k8s.io Table and PartialObjectMetadata(List) responses, built from a version's printer
 * columns as apiextensions' table convertor does (Name first; Created At when no columns are
 * declared, like the default convertor of k8s.io/apiserver/pkg/registry/rest/table.go).
 */
import type {
  KubeList,
  KubeObject,
  ListMeta,
  PartialObjectMetadata,
  Table,
  TableColumnDefinition,
  TableRow,
} from '@kapi/apimachinery';
import { humanDuration, newBadRequest, newNotAcceptable, rfc3339 } from '@kapi/apimachinery';
import type { PrinterColumn, VersionDefinition } from '../scheme/kind.js';
import { evaluateSimpleJsonPath } from './jsonpath.js';
import type { IncludeObjectPolicy } from './negotiation.js';

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const CREATED_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

const CREATED_AT: PrinterColumn = { name: 'Created At', type: 'date', jsonPath: '.metadata.creationTimestamp', description: CREATED_DESCRIPTION };
const DEFAULT_COLUMNS: PrinterColumn[] = [CREATED_AT];

export function tableColumns(version: VersionDefinition): TableColumnDefinition[] {
  const declared = version.printerColumns && version.printerColumns.length > 0 ? version.printerColumns : DEFAULT_COLUMNS;
  return [
    { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 },
    ...declared.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
  ];
}

/** One cell: strings are printed, numbers/booleans kept typed, dates as ages (or RFC 3339 for Created At). */
function cellValue(column: PrinterColumn, obj: KubeObject): unknown {
  let value: unknown;
  try {
    value = evaluateSimpleJsonPath(obj, column.jsonPath);
  } catch {
    return null;
  }
  if (value === undefined || value === null) return null;
  switch (column.type) {
    case 'string':
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : value;
    case 'date': {
      if (typeof value !== 'string') return value;
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) return value;
      // Declared date columns read as an age, as CRD printer columns do; the default Created At column
      // stays an RFC 3339 time, as Go's default table convertor prints it.
      return column === CREATED_AT ? rfc3339(new Date(ms)) : humanDuration(Date.now() - ms);
    }
    default:
      return value;
  }
}

export function asPartialObjectMetadata(obj: KubeObject, metaVersion: string): PartialObjectMetadata {
  return { apiVersion: `meta.k8s.io/${metaVersion}`, kind: 'PartialObjectMetadata', metadata: obj.metadata };
}

export interface TableOptions {
  includeObject: IncludeObjectPolicy;
  /** Omit columnDefinitions (every watch event after the first). */
  noHeaders?: boolean;
  metaVersion: 'v1' | 'v1beta1';
}

export function parseIncludeObject(value: string | null): IncludeObjectPolicy {
  if (value === null || value === '' || value === 'Metadata') return 'Metadata';
  if (value === 'None' || value === 'Object') return value;
  throw newBadRequest(`includeObject: Invalid value: "${value}": must be 'Metadata', 'Object', 'None', or empty`);
}

/**
 * A Table of `objects` (already encoded in the request's version, so the columns' paths apply).
 */
export function buildTable(version: VersionDefinition, objects: KubeObject[], listMeta: ListMeta, opts: TableOptions): Table {
  const declared = version.printerColumns && version.printerColumns.length > 0 ? version.printerColumns : DEFAULT_COLUMNS;
  const rows: TableRow[] = objects.map((obj) => {
    const row: TableRow = { cells: [obj.metadata.name ?? '', ...declared.map((c) => cellValue(c, obj))] };
    if (opts.includeObject === 'Object') row.object = obj;
    else if (opts.includeObject === 'Metadata') row.object = asPartialObjectMetadata(obj, opts.metaVersion);
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${opts.metaVersion}`,
    metadata: listMeta,
    columnDefinitions: opts.noHeaders ? [] : tableColumns(version),
    rows,
  };
}

export function listMetaOf(list: KubeList | undefined, single?: KubeObject): ListMeta {
  const meta: ListMeta = {};
  const rv = list ? list.metadata.resourceVersion : single?.metadata.resourceVersion;
  if (rv !== undefined) meta.resourceVersion = rv;
  if (list?.metadata.continue) meta.continue = list.metadata.continue;
  if (list?.metadata.remainingItemCount !== undefined) meta.remainingItemCount = list.metadata.remainingItemCount;
  return meta;
}

export function asPartialObjectMetadataList(list: KubeList, metaVersion: string): KubeList<PartialObjectMetadata & KubeObject> {
  return {
    apiVersion: `meta.k8s.io/${metaVersion}`,
    kind: 'PartialObjectMetadataList',
    metadata: listMetaOf(list),
    items: list.items.map((o) => asPartialObjectMetadata(o, metaVersion) as PartialObjectMetadata & KubeObject),
  };
}

export function notAList(kind: string): Error {
  return newNotAcceptable(`you requested ${kind}List, but the requested object is not a list`);
}

export function isAList(kind: string): Error {
  return newNotAcceptable(`you requested ${kind}, but the requested object is a list`);
}
