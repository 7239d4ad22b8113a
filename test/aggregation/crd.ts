/** A CRD on the harness kube-apiserver, the oracle the side-by-side suites compare kapi's kinds with. */
import type { Kubectl } from '../e2e/kubectl.js';

/**
 * Creates `crd` and waits until it is Established and `served()` holds: the CRD's handler (and
 * kubectl's discovery) may not know the group for a moment after Established.
 */
export async function installCRD(kubectl: Kubectl, crd: { metadata: { name: string } }, served: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  kubectl.ok(['create', '-f', '-'], { input: JSON.stringify(crd) });
  kubectl.ok(['wait', '--for=condition=Established', '--timeout=30s', `crd/${crd.metadata.name}`]);
  const deadline = Date.now() + timeoutMs;
  while (!(await served())) {
    if (Date.now() > deadline) throw new Error(`the CRD ${crd.metadata.name} is not served`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
