import { cacherTarget, describeStorageConformance, etcd3Target } from '@kapi/storage/testing';

describeStorageConformance(cacherTarget(etcd3Target()));
