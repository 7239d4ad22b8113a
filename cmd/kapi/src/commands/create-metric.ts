/**
 * `kapi create metric <name>`: an external metric (external.metrics.k8s.io/v1beta1, as Go's
 * custom-metrics-apiserver serves it) with its test; the first one also makes src/metrics/index.ts
 * and serves it from main.ts (`.withExternalMetrics(externalMetrics)`). kapi.json records the
 * metrics, so `kapi run local --aggregated` and `kapi generate deploy` register
 * v1beta1.external.metrics.k8s.io beside the kinds' APIServices.
 */
import { CliError } from '../errors.js';
import { saveModel, type Project } from '../project/model.js';
import { writeFiles, type GeneratedFile, type Insertion } from '../project/writer.js';
import { METRICS_INDEX_PATH, metricEntry, metricImport, metricModule, metricNames, metricTest, metricsIndex } from '../templates/metrics/metric.js';
import { MAIN_PATH, METRICS_MAIN_IMPORT, METRICS_MAIN_REGISTRATION } from '../templates/project/main.js';
import { reportFile, type Output } from '../ui.js';

export interface CreateMetricOptions {
  name: string;
  force?: boolean;
}

const METRIC_NAME = /^[a-z]([-_a-z0-9]*[a-z0-9])?$/;


export function createMetric(project: Project, opts: CreateMetricOptions, out: Output): void {
  const name = opts.name;
  if (!METRIC_NAME.test(name)) {
    throw new CliError(`"${name}" is not a metric name kapi can make`, 'use lower-case letters, digits, dashes and underscores, starting with a letter, e.g. queue-depth');
  }
  const model = project.model;
  const existing = model.metrics ?? [];
  if (existing.includes(name) && !opts.force) {
    throw new CliError(`the metric ${name} already exists; nothing was written`, 're-run with --force to regenerate its files (edited ones are overwritten)');
  }
  const metrics = existing.includes(name) ? existing : [...existing, name];
  const n = metricNames(name);
  const files: GeneratedFile[] = [
    { path: n.module, content: metricModule(name) },
    { path: n.test, content: metricTest(name) },
  ];
  const insertions: Insertion[] = [
    { path: MAIN_PATH, marker: 'imports', lines: [METRICS_MAIN_IMPORT] },
    { path: MAIN_PATH, marker: 'kinds', lines: [METRICS_MAIN_REGISTRATION], present: /\.withExternalMetrics\(/ },
  ];
  // The provider's file is the CLI's while it is as made; the user's once changed (then the new metric is added at its markers).
  if (existing.length === 0) files.push({ path: METRICS_INDEX_PATH, content: metricsIndex(metrics) });
  else {
    insertions.push(
      { path: METRICS_INDEX_PATH, marker: 'metric-imports', lines: [metricImport(name)] },
      { path: METRICS_INDEX_PATH, marker: 'metrics', lines: [metricEntry(name)] },
    );
  }
  out.write(`Adding the external metric ${name} (external.metrics.k8s.io/v1beta1)\n`);
  writeFiles(files, insertions, { root: project.dir, ledger: model.files, force: opts.force ?? false, onWrite: (r) => reportFile(out, r) });
  model.metrics = metrics;
  saveModel(project);
  out.write(`
Next: make ${n.module} measure what the metric is about,
then \`npm run build && npm test\` and \`kapi run local --aggregated\`:
  kubectl get --raw "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/${name}?labelSelector=app%3Dweb"
`);
}
