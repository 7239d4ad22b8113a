/** The `kapi` command line: commander@14 commands for init, create api/version, run local, generate deploy. */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createApi } from './commands/create-api.js';
import { createMetric } from './commands/create-metric.js';
import { createVersion } from './commands/create-version.js';
import { generateDeploy } from './commands/generate-deploy.js';
import { generateClientCommand } from './commands/generate-client.js';
import { initProject } from './commands/init.js';
import { LOCAL_STORAGES, runLocal, type LocalStorage, type RunningServer } from './commands/run-local.js';
import { findProject, type DeployStorage } from './project/model.js';
import { stdout, type Output } from './ui.js';

function parseBool(flag: string): (value: string) => boolean {
  return (value) => {
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw new InvalidArgumentError(`${flag} takes true or false`);
  };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new InvalidArgumentError('must be a port number (1-65535)');
  return port;
}

const projectOption = (): Option => new Option('--project <dir>', 'the project directory (default: the one holding kapi.json, from the current directory up)');

/** The running server of `kapi run local`, stopped by SIGINT/SIGTERM; resolved when it exits. */
export interface ProgramHooks {
  /** Called when `kapi run local` has its server up (tests use this instead of signals). */
  onServer?: (server: { kubeconfig: string; stop(): void }) => void;
}

export function buildProgram(out: Output = stdout, hooks: ProgramHooks = {}): Command {
  const program = new Command('kapi')
    .description('Scaffold, run and deploy a Kubernetes aggregated API server written in TypeScript.')
    .helpOption('-h, --help', 'Show help.')
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      `
Start here:
  kapi init my-api --domain example.com
  cd my-api
  kapi create api --group ship --version v1 --kind Frigate --status-subresource
  npm install && npm run build && npm test
  kapi run local`,
    );

  program
    .command('init')
    .description('Create a new project: package.json, tsconfig, jest, server entry point, README, .gitignore and kapi.json.')
    .argument('<dir>', 'directory of the new project (created when missing)')
    .requiredOption('--domain <domain>', 'the domain of the project\'s API groups: --group ship becomes ship.<domain>')
    .option('--name <name>', 'the npm package name (default: the directory name)')
    .option('--kapi-source <path>', 'depend on the @kapi packages of this kapi checkout through file: links (built with `npx tsc -b`); also env KAPI_SOURCE')
    .option('--force', 'write into a non-empty directory or an existing project; files you changed are overwritten', false)
    .action((dir: string, opts: { domain: string; name?: string; kapiSource?: string; force: boolean }) => {
      initProject(dir, opts, out);
    });

  const create = program.command('create').description('Add to the project: a kind (api), a version of a kind (version) or an external metric (metric).');
  create
    .command('api')
    .description('Add a kind: its types, schema, defaulting, validation, strategy, registration and a test.')
    .requiredOption('--group <group>', 'API group: a short name (ship → ship.<domain>) or a full one')
    .requiredOption('--version <version>', 'its first version, which is also the hub (storage) version, e.g. v1alpha1')
    .requiredOption('--kind <Kind>', 'the Kind, UpperCamelCase, e.g. Frigate')
    .option('--plural <plural>', 'the resource name in URLs (default: the English plural of the kind, lower-cased)')
    .addOption(new Option('--namespaced [bool]', 'namespaced (true) or cluster scoped (--namespaced=false)').default(true).argParser(parseBool('--namespaced')).preset(true))
    .option('--status-subresource', 'serve /status: status is written only through it', false)
    .option('--scale-subresource', 'serve /scale on spec.replicas and status.replicas', false)
    .option('--force', 'regenerate the files of a kind that exists; files you changed are overwritten', false)
    .addOption(projectOption())
    .action((opts: { group: string; version: string; kind: string; plural?: string; namespaced: boolean; statusSubresource: boolean; scaleSubresource: boolean; force: boolean; project?: string }) => {
      createApi(findProject(opts.project ?? process.cwd()), opts, out);
    });
  create
    .command('version')
    .description('Add a version to a kind, with conversion functions to and from its hub version and a round-trip test.')
    .requiredOption('--group <group>', 'API group of the kind')
    .requiredOption('--version <version>', 'the new version, e.g. v2')
    .requiredOption('--kind <Kind>', 'the existing Kind')
    .option('--force', 'regenerate that version\'s files when it exists; files you changed are overwritten', false)
    .addOption(projectOption())
    .action((opts: { group: string; version: string; kind: string; force: boolean; project?: string }) => {
      createVersion(findProject(opts.project ?? process.cwd()), opts, out);
    });

  create
    .command('metric')
    .description('Add an external metric (external.metrics.k8s.io/v1beta1, as an HPA\'s External metric reads it): its module, a test, and the provider main.ts serves.')
    .argument('<name>', 'the metric\'s name, e.g. queue-depth (its resource in /apis/external.metrics.k8s.io/v1beta1/namespaces/<ns>/<name>)')
    .option('--force', 'regenerate the metric\'s files when it exists; files you changed are overwritten', false)
    .addOption(projectOption())
    .action((name: string, opts: { force: boolean; project?: string }) => {
      createMetric(findProject(opts.project ?? process.cwd()), { name, force: opts.force }, out);
    });

  const run = program.command('run').description('Run the project.');
  run
    .command('local')
    .description('Build the project and run its server on this machine until Ctrl-C; prints the kubeconfig to use with kubectl.')
    .addOption(
      new Option(
        '--storage <backend>',
        'sqlite: the embedded store in .kapi/data; etcd3: a local etcd (started here, or the local cluster\'s with --aggregated, unless --etcd-servers); crd: custom resources of the local cluster (implies --aggregated)',
      )
        .choices(LOCAL_STORAGES)
        .default('sqlite'),
    )
    .option('--etcd-servers <urls>', 'with --storage etcd3: use these etcd servers instead of starting one')
    .option('--aggregated', 'start a local kube-apiserver (and its etcd), run the server delegated to it and register its APIServices; prints the cluster\'s kubeconfig (.kapi/cluster.kubeconfig)', false)
    .option('--controller-manager', 'also start kube-controller-manager (garbage collector, namespace controller) against the local kube-apiserver once the APIServices are Available (implies --aggregated)', false)
    .addOption(new Option('--port <port>', 'the server\'s HTTPS port').default(8443).argParser(parsePort))
    .option('--no-build', 'skip `npx tsc -b`')
    .addOption(projectOption())
    .argument('[server-flags...]', 'more flags for the server after --, e.g. -- --log-level=debug')
    .action(async (serverArgs: string[], opts: { storage: LocalStorage; etcdServers?: string; aggregated: boolean; controllerManager: boolean; port: number; build: boolean; project?: string }) => {
      const project = findProject(opts.project ?? process.cwd());
      // Installed before anything starts (the local cluster then leaves the signals to us): Ctrl-C
      // while starting stops what was started; once up, it stops the server, then the rest.
      const interrupted = new AbortController();
      let server: RunningServer | undefined;
      const onSignal = (): void => {
        interrupted.abort();
        server?.stop();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        server = await runLocal(
          project,
          {
            storage: opts.storage,
            aggregated: opts.aggregated,
            controllerManager: opts.controllerManager,
            port: opts.port,
            build: opts.build,
            serverArgs,
            signal: interrupted.signal,
            ...(opts.etcdServers ? { etcdServers: opts.etcdServers } : {}),
          },
          out,
        );
        if (interrupted.signal.aborted) server.stop();
        hooks.onServer?.(server);
        const code = await server.done;
        out.write(`server stopped (exit ${code})\n`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });

  const generate = program.command('generate').description('Generate files from kapi.json.');
  generate
    .command('deploy')
    .description('Write deploy/: Dockerfile, kustomize base (namespace, service account, RBAC, Deployment, Service, APIServices, serving certificate) and etcd.')
    .option('--out <dir>', 'output directory, relative to the project (default deploy)')
    .option('--image <ref>', 'the server\'s container image (default <name>:latest; remembered in kapi.json)')
    .option('--namespace <ns>', 'the namespace to deploy to (default the project name; remembered in kapi.json)')
    .addOption(new Option('--storage <backend>', 'etcd3 (with deploy/etcd) or crd (remembered in kapi.json)').choices(['etcd3', 'crd']))
    .option('--renew-certs', 'make a new serving certificate and CA instead of keeping the ones in base/serving-cert.yaml', false)
    .option('--force', 'overwrite files you changed', false)
    .addOption(projectOption())
    .action((opts: { out?: string; image?: string; namespace?: string; storage?: DeployStorage; renewCerts: boolean; force: boolean; project?: string }) => {
      const project = findProject(opts.project ?? process.cwd());
      generateDeploy(project, { ...opts, ...(opts.out ? { out: resolve(process.cwd(), opts.out) } : {}) }, out);
    });

  generate
    .command('client')
    .description('Write a typed TypeScript client per group/version of the project\'s kinds (types from their schemas, every verb and subresource, typed errors), on @kapi/client.')
    .option('--out <dir>', 'output directory, relative to the project (default src/client)')
    .option('--no-build', 'skip `npx tsc -b` (the kinds are read from the built modules)')
    .addOption(projectOption())
    .action(async (opts: { out?: string; build: boolean; project?: string }) => {
      const project = findProject(opts.project ?? process.cwd());
      await generateClientCommand(project, { build: opts.build, ...(opts.out ? { out: resolve(process.cwd(), opts.out) } : {}) }, out);
    });

  return program;
}
