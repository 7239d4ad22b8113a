import { describeStorageConformance, etcd3Target } from '@kapi/storage/testing';

describeStorageConformance(etcd3Target());
