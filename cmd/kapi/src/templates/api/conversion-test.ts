/** src/apis/<group>/<version>/<kind>.test.ts: a spoke version's round trip through the hub. */
import type { KindModel } from '../../project/model.js';
import { kindNames } from './names.js';

export function conversionTest(kind: KindModel, version: string): string {
  const n = kindNames(kind);
  const hub = kind.hubVersion;
  const ns = kind.namespaced ? `, namespace: 'default'` : '';
  return `import { Scheme } from '@kapi/apiserver/scheme';
import { GROUP } from '../group.js';
import { ${n.kindVar} } from '../${n.file}.js';
import type { ${n.versionType(hub)} } from '../${hub}/${n.file}.js';
import type { ${n.versionType(version)} } from './${n.file}.js';

describe('${kind.kind} ${version} ⇄ ${hub} (hub)', () => {
  const scheme = new Scheme().addKind(${n.kindVar});
  const kind = scheme.lookupKind(GROUP, '${kind.kind}');
  if (!kind) throw new Error('${kind.kind} is not registered');

  const hubObject: ${n.versionType(hub)} = {
    apiVersion: \`\${GROUP}/${hub}\`,
    kind: '${kind.kind}',
    metadata: { name: 'round-trip'${ns}, labels: { app: 'demo' } },
    spec: { message: 'hello' },
  };

  it('converts the hub to ${version} and back without loss', () => {
    const spoke = scheme.convert(kind, hubObject, '${version}') as ${n.versionType(version)};
    expect(spoke.apiVersion).toBe(\`\${GROUP}/${version}\`);
    expect(scheme.convert(kind, spoke, '${hub}')).toEqual(hubObject);
  });

  it('converts ${version} to the hub and back without loss', () => {
    const spoke: ${n.versionType(version)} = { ...structuredClone(hubObject), apiVersion: \`\${GROUP}/${version}\` };
    const back = scheme.convert(kind, scheme.convert(kind, spoke, '${hub}'), '${version}');
    expect(back).toEqual(spoke);
  });

  it('does not change the object it converts', () => {
    const copy = structuredClone(hubObject);
    scheme.convert(kind, hubObject, '${version}');
    expect(hubObject).toEqual(copy);
  });
});
`;
}
