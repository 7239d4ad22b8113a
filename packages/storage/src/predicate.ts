/** What a list or watch selects: labels, fields, and the page it wants (storage.SelectionPredicate). */
import {
  FieldSelector,
  LabelSelector,
  parseFieldSelector,
  parseLabelSelector,
  type Fields,
  type KubeObject,
} from '@kapi/apimachinery';

export interface ObjectAttributes {
  labels: Readonly<Record<string, string>> | undefined;
  fields: Fields;
}

export type AttrFunc = (obj: KubeObject) => ObjectAttributes;

/** metadata.name and metadata.namespace, the fields every kind can be selected by. */
export const defaultAttrs: AttrFunc = (obj) => ({
  labels: obj.metadata.labels,
  fields: objectMetaFields(obj),
});

export function objectMetaFields(obj: KubeObject): Record<string, string> {
  const fields: Record<string, string> = { 'metadata.name': obj.metadata.name ?? '' };
  if (obj.metadata.namespace !== undefined) fields['metadata.namespace'] = obj.metadata.namespace;
  return fields;
}

export interface SelectionPredicateInit {
  label?: LabelSelector | string;
  field?: FieldSelector | string;
  limit?: number;
  continue?: string;
  getAttrs?: AttrFunc;
}

export class SelectionPredicate {
  readonly label: LabelSelector;
  readonly field: FieldSelector;
  readonly limit: number;
  readonly continue: string;
  readonly getAttrs: AttrFunc;

  constructor(init: SelectionPredicateInit = {}) {
    this.label = typeof init.label === 'string' ? parseLabelSelector(init.label) : (init.label ?? LabelSelector.everything());
    this.field = typeof init.field === 'string' ? parseFieldSelector(init.field) : (init.field ?? FieldSelector.everything());
    this.limit = init.limit && init.limit > 0 ? Math.floor(init.limit) : 0;
    this.continue = init.continue ?? '';
    this.getAttrs = init.getAttrs ?? defaultAttrs;
  }

  static everything(): SelectionPredicate {
    return EVERYTHING;
  }

  /** True when every object matches: no label or field requirement. */
  isEverything(): boolean {
    return this.label.isEmpty() && this.field.isEmpty();
  }

  matches(obj: KubeObject): boolean {
    if (this.isEverything()) return true;
    const attrs = this.getAttrs(obj);
    return this.label.matches(attrs.labels) && this.field.matches(attrs.fields);
  }

  /** The same selection without the paging (what a watch started from a list uses). */
  withoutPaging(): SelectionPredicate {
    return new SelectionPredicate({ label: this.label, field: this.field, getAttrs: this.getAttrs });
  }
}

const EVERYTHING = new SelectionPredicate();
