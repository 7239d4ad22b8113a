import { describeStorageConformance, sqliteTarget } from '@kapi/storage/testing';

describeStorageConformance(sqliteTarget());
