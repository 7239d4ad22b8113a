import type { createEtcdClient } from '@kapi/storage';

type EtcdClient = ReturnType<typeof createEtcdClient>;

/**
 * Deletes every key under `prefix`, 10,000 at a time (one delete of a million keys outlasts etcd's
 * request timeout), and answers the revision after the last.
 */
export async function deletePrefix(etcd: EtcdClient, prefix: string): Promise<string> {
  for (;;) {
    const keys = await etcd.getAll().prefix(prefix).limit(10_000).keys();
    if (keys.length === 0) break;
    await etcd.delete().inRange({ start: keys[0]!, end: `${keys[keys.length - 1]!}\0` }).exec();
  }
  const last = await etcd.getAll().prefix(prefix).limit(1).exec();
  return last.header.revision;
}
