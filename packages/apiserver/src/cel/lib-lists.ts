/**
 * Kubernetes' lists library (k8s.io/apiserver/pkg/cel/library/lists.go, version 1: isSorted, sum,
 * min, max, indexOf, lastIndexOf, includes) and cel-go's ext lists (version 3: lists.range, slice,
 * flatten, sort, distinct, reverse; sortBy and first/last, which need macros or optionals CEL-ES
 * lacks, are not there).
 */
import { celFunc, celList, celMethod, CelScalar, isCelList, listType, type CelFunc, type CelValue } from '@bufbuild/cel';
import { charge, listCost } from './cost.js';
import { celAdd, celCompare, celEquals } from './lib-common.js';

const { DYN, INT, BOOL } = CelScalar;
const LIST = listType(DYN);

function isSorted(this: Iterable<CelValue> & { size: number }): boolean {
  charge(listCost(this.size));
  let prev: CelValue | undefined;
  for (const item of this) {
    if (prev !== undefined && celCompare(prev, item) > 0) return false;
    prev = item;
  }
  return true;
}

function sum(this: Iterable<CelValue> & { size: number }): CelValue {
  charge(listCost(this.size));
  let acc: CelValue | undefined;
  for (const item of this) {
    if (acc === undefined) {
      acc = item;
      continue;
    }
    acc = celAdd(acc, item);
  }
  return acc ?? 0n;
}

function extreme(name: 'min' | 'max') {
  return function (this: Iterable<CelValue> & { size: number }): CelValue {
    charge(listCost(this.size));
    let result: CelValue | undefined;
    for (const item of this) {
      if (result === undefined) result = item;
      else {
        const cmp = celCompare(result, item);
        if ((name === 'min' && cmp > 0) || (name === 'max' && cmp < 0)) result = item;
      }
    }
    if (result === undefined) throw new Error(`${name} called on empty list`);
    return result;
  };
}

function indexOf(this: { size: number; get(i: number): CelValue | undefined }, item: CelValue): bigint {
  charge(listCost(this.size));
  for (let i = 0; i < this.size; i++) if (celEquals(this.get(i)!, item)) return BigInt(i);
  return -1n;
}

function lastIndexOf(this: { size: number; get(i: number): CelValue | undefined }, item: CelValue): bigint {
  charge(listCost(this.size));
  for (let i = this.size - 1; i >= 0; i--) if (celEquals(this.get(i)!, item)) return BigInt(i);
  return -1n;
}

function includes(this: CelValue, item: CelValue): boolean {
  if (isCelList(this)) {
    charge(listCost(this.size));
    for (const v of this) if (celEquals(v, item)) return true;
    return false;
  }
  return celEquals(this, item);
}

function flatten(list: Iterable<CelValue>, depth: number): CelValue[] {
  const out: CelValue[] = [];
  for (const item of list) {
    if (isCelList(item) && depth > 0) out.push(...flatten(item, depth - 1));
    else out.push(item);
  }
  return out;
}

export const LISTS: CelFunc[] = [
  celMethod('isSorted', LIST, [], BOOL, isSorted),
  celMethod('sum', LIST, [], DYN, sum),
  celMethod('min', LIST, [], DYN, extreme('min')),
  celMethod('max', LIST, [], DYN, extreme('max')),
  celMethod('indexOf', LIST, [DYN], INT, indexOf),
  celMethod('lastIndexOf', LIST, [DYN], INT, lastIndexOf),
  celMethod('includes', DYN, [DYN], BOOL, includes),
  // cel-go ext.Lists
  celFunc('lists.range', [INT], LIST, (n) => {
    charge(listCost(Number(n)));
    return celList(Array.from({ length: Math.max(0, Number(n)) }, (_, i) => BigInt(i)));
  }),
  celMethod('slice', LIST, [INT, INT], LIST, function (start, end) {
    const s = Number(start);
    const e = Number(end);
    if (s < 0 || e < 0) throw new Error(`cannot slice(${s}, ${e}), negative indexes not supported`);
    if (s > e) throw new Error(`cannot slice(${s}, ${e}), start index must be less than or equal to end index`);
    if (e > this.size) throw new Error(`cannot slice(${s}, ${e}), list is length ${this.size}`);
    charge(listCost(e - s));
    return celList([...this].slice(s, e));
  }),
  celMethod('flatten', LIST, [], LIST, function () {
    charge(listCost(this.size));
    return celList(flatten(this, 1));
  }),
  celMethod('flatten', LIST, [INT], LIST, function (depth) {
    if (depth < 0n) throw new Error('level must be non-negative');
    charge(listCost(this.size));
    return celList(flatten(this, Number(depth)));
  }),
  celMethod('sort', LIST, [], LIST, function () {
    charge(listCost(this.size * Math.max(1, Math.ceil(Math.log2(this.size + 1)))));
    return celList([...this].sort(celCompare));
  }),
  celMethod('distinct', LIST, [], LIST, function () {
    charge(listCost(this.size * this.size));
    const out: CelValue[] = [];
    for (const item of this) if (!out.some((o) => celEquals(o, item))) out.push(item);
    return celList(out);
  }),
  celMethod('reverse', LIST, [], LIST, function () {
    charge(listCost(this.size));
    return celList([...this].reverse());
  }),
];
