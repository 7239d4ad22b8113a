/**
 * admission.k8s.io/v1 AdmissionRequest for one request, seen in one version (request.CreateV1AdmissionReview):
 * what a webhook receives, and the `request` variable of CEL match conditions and policies.
 */
import type { GroupVersionKind, GroupVersionResource, KubeObject } from '@kapi/apimachinery';
import type { AdmissionAttributes } from '../registry/rest.js';
import { deepCopy } from '@kapi/apimachinery';

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  requestKind: GroupVersionKind;
  requestResource: GroupVersionResource;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: AdmissionAttributes['operation'];
  userInfo: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  object: KubeObject | null;
  oldObject: KubeObject | null;
  dryRun: boolean;
  options: Record<string, unknown> | null;
}

/** The request's objects in one version: the webhook's or the policy's, possibly not the request's. */
export interface VersionedObjects {
  version: string;
  object: KubeObject | null;
  oldObject: KubeObject | null;
}

/** The operation's options object (CreateOptions, UpdateOptions, DeleteOptions), as Go's attributes carry it. */
function operationOptions(attrs: AdmissionAttributes): Record<string, unknown> {
  const kind = attrs.operation === 'CREATE' ? 'CreateOptions' : attrs.operation === 'UPDATE' ? 'UpdateOptions' : 'DeleteOptions';
  return {
    kind,
    apiVersion: 'meta.k8s.io/v1',
    ...(attrs.dryRun ? { dryRun: ['All'] } : {}),
    ...(attrs.fieldManager && attrs.operation !== 'DELETE' ? { fieldManager: attrs.fieldManager } : {}),
  };
}

export function admissionRequestOf(uid: string, attrs: AdmissionAttributes, versioned: VersionedObjects): AdmissionRequest {
  const user = attrs.user;
  return {
    uid,
    kind: { group: attrs.group, version: versioned.version, kind: attrs.kind },
    resource: { group: attrs.group, version: versioned.version, resource: attrs.resource },
    ...(attrs.subresource ? { subResource: attrs.subresource } : {}),
    requestKind: { group: attrs.group, version: attrs.version, kind: attrs.kind },
    requestResource: { group: attrs.group, version: attrs.version, resource: attrs.resource },
    ...(attrs.subresource ? { requestSubResource: attrs.subresource } : {}),
    ...(attrs.name ? { name: attrs.name } : {}),
    ...(attrs.namespace ? { namespace: attrs.namespace } : {}),
    operation: attrs.operation,
    userInfo: user
      ? {
          ...(user.username ? { username: user.username } : {}),
          ...(user.uid ? { uid: user.uid } : {}),
          ...(user.groups.length > 0 ? { groups: [...user.groups] } : {}),
          ...(user.extra && Object.keys(user.extra).length > 0 ? { extra: user.extra } : {}),
        }
      : {},
    object: versioned.object,
    oldObject: versioned.oldObject,
    dryRun: attrs.dryRun,
    options: operationOptions(attrs),
  };
}

/** The request's objects encoded in `version` (copies: a webhook's patch or a policy works on them). */
export function versionedObjectsOf(attrs: AdmissionAttributes, version: string): VersionedObjects {
  const encode = (obj: KubeObject | undefined): KubeObject | null => (obj ? deepCopy(attrs.objects.encode(obj, version)) : null);
  return { version, object: encode(attrs.object), oldObject: encode(attrs.oldObject) };
}

/** Mutating admission changes the object in place (the Store holds it): `hub` becomes its content. */
export function replaceObject(attrs: AdmissionAttributes, hub: KubeObject): void {
  const target = attrs.object as Record<string, unknown> | undefined;
  if (!target) return;
  for (const key of Object.keys(target)) delete target[key];
  Object.assign(target, hub);
}
