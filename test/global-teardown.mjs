// After every integration suite: stop the private dockerd that hack/build-image.sh leaves running
// (test/deploy's suites share it, and may run at once, so no one suite may stop it). Its images and
// build cache stay for the next run. A no-op when it is not running.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export default function stopPrivateDockerd() {
  spawnSync('bash', [join(import.meta.dirname, '../hack/docker-local.sh'), 'stop'], { stdio: 'ignore' });
}
