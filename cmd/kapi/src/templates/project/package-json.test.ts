import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { newModel } from '../../project/model.js';
import { TYPEBOX_RANGE, packageJson } from './package-json.js';

const REPO = resolve(__dirname, '../../../../..');

describe('package.json of a new project', () => {
  it('depends on TypeBox in the range @kapi/apiserver does (its schemas are values the server reads)', () => {
    const apiserver = JSON.parse(readFileSync(join(REPO, 'packages/apiserver/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(TYPEBOX_RANGE).toBe(apiserver.dependencies['@sinclair/typebox']);
    const pkg = JSON.parse(packageJson(newModel('fleet', 'example.com'))) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['@sinclair/typebox']).toBe(TYPEBOX_RANGE);
  });

  it('links the @kapi packages to a checkout with --kapi-source, TypeBox from the registry', () => {
    const pkg = JSON.parse(packageJson(newModel('fleet', 'example.com'), { kapiSource: '/src/kapi/' })) as { dependencies: Record<string, string> };
    expect(pkg.dependencies).toEqual({
      '@kapi/apimachinery': 'file:/src/kapi/packages/apimachinery',
      '@kapi/storage': 'file:/src/kapi/packages/storage',
      '@kapi/client': 'file:/src/kapi/packages/client',
      '@kapi/apiserver': 'file:/src/kapi/packages/apiserver',
      '@sinclair/typebox': TYPEBOX_RANGE,
    });
  });
});
