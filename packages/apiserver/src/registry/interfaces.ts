/**
 * What the endpoints call per resource: a RestStorage (the generic Store, or a resource that is not
 * stored). With the Scheme (scheme/scheme-like.ts) it is all they know.
 */
import type { KubeList, KubeObject, StatusDetails } from '@kapi/apimachinery';
import type { Watcher } from '@kapi/storage';
import type { KindDefinition } from '../scheme/kind.js';
import type {
  ApiDeleteOptions,
  ApiGetOptions,
  ApiListOptions,
  DeleteResult,
  RequestContext,
  UpdatedObjectFunc,
  UpdateResult,
  WriteOptions,
} from './rest.js';

/**
 * What serves one resource, in hub-version objects: the generic Store implements every verb; a
 * resource that is not stored implements those it offers (its kind's `verbs` name them), and
 * the endpoints answer the others 405.
 */
export interface RestStorage {
  readonly kind: KindDefinition;
  get?(ctx: RequestContext, name: string, opts: ApiGetOptions): Promise<KubeObject>;
  list?(ctx: RequestContext, opts: ApiListOptions): Promise<KubeList>;
  watch?(ctx: RequestContext, opts: ApiListOptions): Promise<Watcher>;
  create?(ctx: RequestContext, obj: KubeObject, opts: WriteOptions): Promise<KubeObject>;
  /**
   * PUT and PATCH; `subresource: 'status'` changes only status, 'scale' is a write through /scale
   * (objInfo is given the object's autoscaling/v1 Scale and returns the new Scale);
   * `apply` (server-side apply): objInfo returns the apply configuration, not the new object.
   */
  update?(
    ctx: RequestContext,
    name: string,
    objInfo: UpdatedObjectFunc,
    opts: WriteOptions & { subresource?: 'status' | 'scale'; forceAllowCreate?: boolean; apply?: { force: boolean } },
  ): Promise<UpdateResult>;
  delete?(ctx: RequestContext, name: string, opts: ApiDeleteOptions): Promise<DeleteResult>;
  deleteCollection?(ctx: RequestContext, opts: ApiDeleteOptions, listOpts: ApiListOptions): Promise<KubeList>;
  /**
   * POST <name>/<subresource> of an action subresource (kind.subresources.actions): `body` is the
   * decoded request kind (undefined when it has none); the answer is sent as the response kind.
   */
  action?(ctx: RequestContext, name: string, subresource: string, body: KubeObject | undefined): Promise<KubeObject>;
  /** A connect subresource (kind.subresources.connect): the upgraded stream, served until it ends. */
  connect?(ctx: RequestContext, name: string, subresource: string, stream: ConnectStream): Promise<void>;
}

/**
 * The stream of a connect subresource after the upgrade: Kubernetes' channel protocols
 * (v5.channel.k8s.io …): numbered channels over one WebSocket, as exec, attach and port-forward
 * speak them. Implemented by endpoints/connect.ts.
 */
export interface ConnectStream {
  /** The subprotocol agreed with the client, e.g. "v5.channel.k8s.io". */
  readonly protocol: string;
  /** The request's query (exec's command, stdin, tty, …). */
  readonly query: URLSearchParams;
  /** Data the client sent on `channel` (stdin is 0; resize 4). */
  onData(listener: (channel: number, data: Buffer) => void): void;
  /** The client closed `channel` (v5's close frame) or the whole stream (channel -1). */
  onClose(listener: (channel: number) => void): void;
  /**
   * Sends `data` on `channel` (stdout 1, stderr 2, error 3). False when the client is behind (the
   * unsent data is over the high-water mark): wait for onDrain before writing more.
   */
  write(channel: number, data: Buffer | string): boolean;
  /** After write() returned false: the unsent data is below the high-water mark again. */
  onDrain(listener: () => void): void;
  /**
   * Ends the stream; a Status goes on the error channel first, as exec reports its end (a
   * non-zero exit: reason NonZeroExitCode, details.causes [{ reason: 'ExitCode', message: '<code>' }]).
   */
  close(status?: { status: 'Success' | 'Failure'; message?: string; reason?: string; details?: StatusDetails; code?: number }): void;
}
