/** The routes of an API: /apis (discovery and resources) and /openapi (its documents), on one scheme. */
import { apisRoute, type ApisRouteOptions } from '../endpoints/router.js';
import type { Route } from '../http/routes.js';
import { openapiRoute } from '../openapi/handler.js';
import type { OpenApiInfo } from '../openapi/v3.js';

export interface ApiRoutesOptions extends ApisRouteOptions {
  /** info.title / info.version of the OpenAPI documents. */
  openapi?: OpenApiInfo;
}

export function apiRoutes(options: ApiRoutesOptions): Route[] {
  return [apisRoute(options), openapiRoute(options.scheme, options.openapi, options.groupVersions)];
}
