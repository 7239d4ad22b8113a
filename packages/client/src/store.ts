/**
 * An informer's cache (Go's cache.Indexer with the namespace index) and its read side, the Lister.
 * Objects are kept by key (<namespace>/<name>, or <name> cluster-wide), indexed by namespace and by
 * label (key=value), so a lister query by namespace or by a selector with equality (=, ==, in)
 * requirements reads only the candidates, not every object.
 */
import { LabelSelector, labelSelectorOf, parseLabelSelector } from '@kapi/apimachinery';
import type { LabelSelectorOption, ObjectLike } from './types.js';

/** Go's MetaNamespaceKeyFunc: "<namespace>/<name>", or "<name>" for a cluster-scoped object. */
export function keyOf(obj: ObjectLike): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}

function addTo(index: Map<string, Set<string>>, value: string, key: string): void {
  let set = index.get(value);
  if (!set) index.set(value, (set = new Set()));
  set.add(key);
}

function removeFrom(index: Map<string, Set<string>>, value: string, key: string): void {
  const set = index.get(value);
  if (!set) return;
  set.delete(key);
  if (set.size === 0) index.delete(value);
}

/** A selector option as a parsed LabelSelector. */
export function toLabelSelector(selector: LabelSelectorOption | undefined): LabelSelector {
  if (selector === undefined) return LabelSelector.everything();
  if (selector instanceof LabelSelector) return selector;
  return typeof selector === 'string' ? parseLabelSelector(selector) : labelSelectorOf(selector);
}

export class ObjectStore<T extends ObjectLike> {
  private readonly items = new Map<string, T>();
  private readonly byNamespace = new Map<string, Set<string>>();
  private readonly byLabel = new Map<string, Set<string>>();

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  keys(): IterableIterator<string> {
    return this.items.keys();
  }

  values(): IterableIterator<T> {
    return this.items.values();
  }

  /** Puts `obj` under its key; returns what was there. */
  set(obj: T): T | undefined {
    const key = keyOf(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  /** Removes the object under `key`; returns it. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  /** The objects in `namespace` ('' = all) that `selector` matches. */
  select(namespace: string, selector: LabelSelector): T[] {
    let candidates: Set<string> | undefined = namespace === '' ? undefined : (this.byNamespace.get(namespace) ?? new Set());
    // The smallest label index set among the equality requirements narrows the candidates.
    for (const r of selector.requirements) {
      if (r.operator !== '=' && r.operator !== '==' && r.operator !== 'in') continue;
      const union = new Set<string>();
      for (const value of r.values) for (const key of this.byLabel.get(`${r.key}=${value}`) ?? []) union.add(key);
      if (union.size < (candidates?.size ?? Infinity)) candidates = union;
    }
    const out: T[] = [];
    for (const key of candidates ?? this.items.keys()) {
      const obj = this.items.get(key);
      if (!obj) continue;
      if (namespace !== '' && (obj.metadata?.namespace ?? '') !== namespace) continue;
      if (selector.isEmpty() || selector.matches(obj.metadata?.labels)) out.push(obj);
    }
    return out;
  }

  private index(key: string, obj: T): void {
    addTo(this.byNamespace, obj.metadata?.namespace ?? '', key);
    for (const [k, v] of Object.entries(obj.metadata?.labels ?? {})) addTo(this.byLabel, `${k}=${v}`, key);
  }

  private unindex(key: string, obj: T): void {
    removeFrom(this.byNamespace, obj.metadata?.namespace ?? '', key);
    for (const [k, v] of Object.entries(obj.metadata?.labels ?? {})) removeFrom(this.byLabel, `${k}=${v}`, key);
  }
}

/**
 * Reads an informer's cache (Go's listers): the objects returned are the cache's own — read them,
 * do not change them (copy with structuredClone before a write).
 */
export class Lister<T extends ObjectLike> {
  constructor(private readonly store: ObjectStore<T>) {}

  /** Every object (in every namespace) the selector matches. */
  list(selector?: LabelSelectorOption): T[] {
    return this.store.select('', toLabelSelector(selector));
  }

  /** A cluster-scoped object by name. */
  get(name: string): T | undefined {
    return this.store.get(name);
  }

  /** The objects of one namespace. */
  namespace(namespace: string): NamespaceLister<T> {
    return {
      list: (selector?: LabelSelectorOption) => this.store.select(namespace, toLabelSelector(selector)),
      get: (name: string) => this.store.get(`${namespace}/${name}`),
    };
  }
}

export interface NamespaceLister<T extends ObjectLike> {
  list(selector?: LabelSelectorOption): T[];
  get(name: string): T | undefined;
}
