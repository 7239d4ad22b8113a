import { cacherTarget, describeStorageConformance, sqliteTarget } from '@kapi/storage/testing';

describeStorageConformance(cacherTarget(sqliteTarget()));
