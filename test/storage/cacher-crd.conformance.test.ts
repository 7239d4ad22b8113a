import { cacherTarget, crdTarget, describeStorageConformance } from '@kapi/storage/testing';
import { startCluster } from '../harness/index.js';

// Every test's fresh prefix is a new resource, so its first request makes and waits for a CRD.
jest.setTimeout(60_000);

describeStorageConformance(cacherTarget(crdTarget((extraArgs) => startCluster({ extraArgs: [...extraArgs] }))));
