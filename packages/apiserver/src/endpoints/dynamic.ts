/**
 * An API group version served by its own handler rather than by a scheme's kinds: its resources
 * are whatever its lister says at each discovery request, and every resource request under
 * /apis/<group>/<version>/ goes to `serve` with the request's one RequestInfo (authentication,
 * authorization and the other filters have run on it, as for every request). Go's
 * custom-metrics-apiserver installs its APIs this way: a go-restful WebService with wildcard
 * routes on the GoRestfulContainer, its APIGroup added to the DiscoveryGroupManager and an
 * APIResourceLister for /apis/<group>/<version>.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenAPIObject } from 'openapi3-ts/oas30';
import type { ListedGroupVersion } from '../discovery/listed.js';
import type { RequestInfo } from '../http/request-info.js';

export interface DynamicGroupVersion extends ListedGroupVersion {
  /** Answers a resource request under /apis/<group>/<version>/ (what it throws is answered as its Status). */
  serve(req: IncomingMessage, res: ServerResponse, info: RequestInfo): Promise<void> | void;
  /** Its OpenAPI v3 document (/openapi/v3/apis/<group>/<version>, and its part of /openapi/v2), if it publishes one. */
  openapi?(): OpenAPIObject;
}
