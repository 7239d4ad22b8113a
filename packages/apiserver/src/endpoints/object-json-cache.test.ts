import type { KubeObject } from '@kapi/apimachinery';
import { cachedObjectJSON } from './object-json-cache.js';

const flunder = (): KubeObject => ({ apiVersion: 'wardle.example.com/v1beta1', kind: 'Flunder', metadata: { name: 'a', resourceVersion: '7' } });

describe('cachedObjectJSON', () => {
  it('encodes an object once per variant and gives every caller the same JSON', () => {
    const obj = flunder();
    let encodes = 0;
    const toAlpha = (o: KubeObject): unknown => {
      encodes++;
      return { ...o, apiVersion: 'wardle.example.com/v1alpha1' };
    };
    const lines = Array.from({ length: 1000 }, () => cachedObjectJSON(obj, 'wardle.example.com/v1alpha1', toAlpha));
    expect(encodes).toBe(1);
    expect(new Set(lines).size).toBe(1);
    expect(JSON.parse(lines[0]!)).toEqual({ ...obj, apiVersion: 'wardle.example.com/v1alpha1' });
  });

  it('keeps versions apart, and objects apart even when they are equal', () => {
    const obj = flunder();
    const beta = cachedObjectJSON(obj, 'wardle.example.com/v1beta1', (o) => o);
    const alpha = cachedObjectJSON(obj, 'wardle.example.com/v1alpha1', (o) => ({ ...o, apiVersion: 'wardle.example.com/v1alpha1' }));
    expect(JSON.parse(beta).apiVersion).toBe('wardle.example.com/v1beta1');
    expect(JSON.parse(alpha).apiVersion).toBe('wardle.example.com/v1alpha1');
    const newer = { ...flunder(), metadata: { name: 'a', resourceVersion: '8' } };
    expect(JSON.parse(cachedObjectJSON(newer, 'wardle.example.com/v1beta1', (o) => o)).metadata.resourceVersion).toBe('8');
  });
});
