/** cel-go's ext sets: sets.contains, sets.equivalent, sets.intersects (CEL equality: 1 == 1.0 == 1u). */
import { celFunc, CelScalar, listType, type CelFunc, type CelList } from '@bufbuild/cel';
import { charge, listCost } from './cost.js';
import { celEquals } from './lib-common.js';

const LIST = listType(CelScalar.DYN);

function contains(list: CelList, sub: CelList): boolean {
  charge(listCost(list.size * sub.size));
  for (const item of sub) {
    let found = false;
    for (const candidate of list) {
      if (celEquals(candidate, item)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

export const SETS: CelFunc[] = [
  celFunc('sets.contains', [LIST, LIST], CelScalar.BOOL, contains),
  celFunc('sets.equivalent', [LIST, LIST], CelScalar.BOOL, (a, b) => contains(a, b) && contains(b, a)),
  celFunc('sets.intersects', [LIST, LIST], CelScalar.BOOL, (a, b) => {
    charge(listCost(a.size * b.size));
    for (const x of a) for (const y of b) if (celEquals(x, y)) return true;
    return false;
  }),
];
