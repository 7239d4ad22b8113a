import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProject, groupVersions, type Project } from '../project/model.js';
import type { Output } from '../ui.js';
import { createApi } from './create-api.js';
import { createMetric } from './create-metric.js';
import { initProject } from './init.js';

const quiet: Output = { write: () => undefined };

describe('kapi create metric', () => {
  let dir: string;
  let project: Project;
  const read = (path: string): string => readFileSync(join(dir, path), 'utf8');

  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'kapi-metric-')), 'gauges');
    project = initProject(dir, { domain: 'example.com' }, quiet);
  });
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('makes the metric, its test and the provider, serves it from main.ts and registers external.metrics.k8s.io', () => {
    createMetric(project, { name: 'configmaps' }, quiet);
    createMetric(findProject(dir), { name: 'queue-depth' }, quiet);
    const model = findProject(dir).model;
    expect(model.metrics).toEqual(['configmaps', 'queue-depth']);
    expect(groupVersions(model)).toEqual([{ group: 'external.metrics.k8s.io', version: 'v1beta1' }]);
    expect(read('src/main.ts')).toMatch(/import \{ externalMetrics \} from '\.\/metrics\/index\.js';\n\/\/ \+kapi:scaffold:imports/);
    expect(read('src/main.ts')).toMatch(/\.withExternalMetrics\(externalMetrics\)\n  \/\/ \+kapi:scaffold:kinds\n  \.run\(\)/);
    expect(read('src/metrics/index.ts')).toMatch(
      /import \{ configmapsMetric \} from '\.\/configmaps\.js';\nimport \{ queueDepthMetric \} from '\.\/queue-depth\.js';\n\/\/ \+kapi:scaffold:metric-imports/,
    );
    expect(read('src/metrics/index.ts')).toMatch(/configmapsMetric\(api\),\n    queueDepthMetric\(api\),\n    \/\/ \+kapi:scaffold:metrics/);
    expect(read('src/metrics/queue-depth.ts')).toContain("name: 'queue-depth',");
    expect(read('src/metrics/queue-depth.test.ts')).toContain("{ metric: 'queue-depth' }");
    // main.ts says it once, however many metrics there are.
    expect(read('src/main.ts').match(/withExternalMetrics/g)).toHaveLength(1);
  });

  it('sits beside the kinds: their APIServices and the metrics API', () => {
    createApi(project, { group: 'ship', version: 'v1', kind: 'Frigate', namespaced: true, statusSubresource: false, scaleSubresource: true }, quiet);
    createMetric(findProject(dir), { name: 'frigates' }, quiet);
    expect(groupVersions(findProject(dir).model)).toEqual([
      { group: 'ship.example.com', version: 'v1' },
      { group: 'external.metrics.k8s.io', version: 'v1beta1' },
    ]);
    expect(read('src/main.ts')).toMatch(/\.withKind\(frigateKind\)\n  \.withExternalMetrics\(externalMetrics\)\n/);
    // kapi init --force rewrites main.ts with both.
    initProject(dir, { domain: 'example.com', force: true }, quiet);
    expect(read('src/main.ts')).toMatch(/\.withKind\(frigateKind\)\n  \.withExternalMetrics\(externalMetrics\)\n/);
  });

  it('refuses a bad name, and a metric that exists unless --force, keeping the user\'s edits', () => {
    expect(() => createMetric(project, { name: 'Queue' }, quiet)).toThrow('"Queue" is not a metric name kapi can make');
    createMetric(project, { name: 'depth' }, quiet);
    const edited = read('src/metrics/depth.ts').replace('return list.items.length;', 'return 7;');
    writeFileSync(join(dir, 'src/metrics/depth.ts'), edited);
    expect(() => createMetric(findProject(dir), { name: 'depth' }, quiet)).toThrow('the metric depth already exists');
    expect(read('src/metrics/depth.ts')).toBe(edited);
  });
});
