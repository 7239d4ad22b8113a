/**
 * The pause image a node's containerd runs as every Pod's sandbox, made here because no registry
 * is reachable: hack/pause (a static Go program that sleeps and reaps) built with `go build`, put
 * into an OCI image layout and archived as a tar that `ctr images import` takes. Both are cached
 * under ${KAPI_CACHE}/pause-<hash of the source>, so a changed source makes a new one.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kapiCacheDir, repoRoot } from './kube-binaries.js';

/** The name containerd's CRI plugin is configured with (sandbox_image). */
export const PAUSE_IMAGE = 'docker.io/kapi-local/pause:1.0';

const SOURCE_DIR = join('hack', 'pause');

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The OCI archive of the pause image (built on first use); its path. */
export function ensurePauseImage(root = repoRoot()): string {
  const source = join(root, SOURCE_DIR);
  const hash = sha256(['main.go', 'go.mod'].map((f) => readFileSync(join(source, f), 'utf8')).join('\0')).slice(0, 12);
  const dir = join(kapiCacheDir(), `pause-${hash}`);
  const archive = join(dir, 'pause.oci.tar');
  if (existsSync(archive)) return archive;

  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  const rootfs = join(work, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  execFileSync('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(rootfs, 'pause'), '.'], {
    cwd: source,
    env: { ...process.env, CGO_ENABLED: '0' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });

  // One uncompressed layer holding /pause, owned by root.
  const layer = execFileSync('tar', ['-C', rootfs, '--numeric-owner', '--owner=0', '--group=0', '--mtime=@0', '-c', 'pause'], { maxBuffer: 64 << 20 });
  const layout = join(work, 'layout');
  const blobs = join(layout, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const blob = (data: Buffer | string): { digest: string; size: number } => {
    const digest = sha256(data);
    writeFileSync(join(blobs, digest), data);
    return { digest: `sha256:${digest}`, size: Buffer.byteLength(data) };
  };
  const layerBlob = blob(layer);
  const config = blob(
    JSON.stringify({
      architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/pause'], User: '65535:65535' },
      rootfs: { type: 'layers', diff_ids: [layerBlob.digest] },
    }),
  );
  const manifest = blob(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layerBlob }],
    }),
  );
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          // ctr names the imported image after this annotation.
          annotations: { 'io.containerd.image.name': PAUSE_IMAGE, 'org.opencontainers.image.ref.name': PAUSE_IMAGE.split(':').pop() },
        },
      ],
    }),
  );
  execFileSync('tar', ['-C', layout, '-cf', join(work, 'pause.oci.tar'), 'oci-layout', 'index.json', 'blobs']);
  if (statSync(join(work, 'pause.oci.tar')).size === 0) throw new Error('the pause image archive is empty');
  // Renamed into place whole, so a concurrent or interrupted build never leaves half an archive.
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return archive;
}
