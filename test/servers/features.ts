#!/usr/bin/env node
/**
 * A server built with the builder for the suites (features.kapi.dev/v1): what the sample does not
 * show. Widget is stored, with an action subresource `approve` (its own request kind,
 * WidgetApproval, answered with the approved Widget). WidgetMetrics is not stored: computed from
 * the Widgets on each request, get and list (and Table) only, as metrics.k8s.io's PodMetrics.
 */
import { Type } from '@sinclair/typebox';
import { newBadRequest, type KubeObject } from '@kapi/apimachinery';
import { apiServer, defineKind, defineVersion, type APIServerBuilder, type ActionHandler, type ObjectOf, type RequestContext } from '@kapi/apiserver';

export const GROUP = 'features.kapi.dev';

const widgetSchema = Type.Object({
  spec: Type.Optional(Type.Object({ size: Type.Optional(Type.Integer({ minimum: 0, description: 'How big the widget is.' })) })),
  status: Type.Optional(Type.Object({ approved: Type.Optional(Type.Boolean()), approvedBecause: Type.Optional(Type.String()) })),
});
export type Widget = ObjectOf<typeof widgetSchema>;

const approvalSchema = Type.Object({ reason: Type.String({ description: 'Why the widget is approved.' }) });

export const widgetKind = defineKind<Widget>({
  group: GROUP,
  kind: 'Widget',
  namespaced: true,
  versions: [defineVersion({ name: 'v1', schema: widgetSchema })],
  hubVersion: 'v1',
  subresources: {
    status: true,
    actions: { approve: { requestKind: 'WidgetApproval', schema: approvalSchema as never, responseKind: { kind: 'Widget' } } },
  },
});

const metricsSchema = Type.Object({
  usage: Type.Object({ size: Type.Integer(), nameLength: Type.Integer() }),
});
export type WidgetMetrics = ObjectOf<typeof metricsSchema>;

export const widgetMetricsKind = defineKind<WidgetMetrics>({
  group: GROUP,
  kind: 'WidgetMetrics',
  plural: 'widgetmetrics',
  namespaced: true,
  versions: [
    defineVersion({
      name: 'v1',
      schema: metricsSchema,
      printerColumns: [
        { name: 'Size', type: 'integer', jsonPath: '.usage.size' },
        { name: 'Name Length', type: 'integer', jsonPath: '.usage.nameLength' },
      ],
    }),
  ],
  hubVersion: 'v1',
});

/** The metrics of one widget, computed now. */
function metricsOf(widget: Widget): WidgetMetrics {
  const { name = '', namespace, labels } = widget.metadata;
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'WidgetMetrics',
    metadata: { name, ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    usage: { size: widget.spec?.size ?? 0, nameLength: name.length },
  };
}

/** The approve action: marks the widget approved with the request's reason; answers the widget. */
const approve: ActionHandler = async (ctx, name, body, api) => {
  const reason = (body as { reason?: unknown } | undefined)?.reason;
  if (typeof reason !== 'string' || reason === '') throw newBadRequest('WidgetApproval.reason: Required value');
  const result = await api.store(widgetKind).update(ctx, name, (current) => ({ ...current!, status: { approved: true, approvedBecause: reason } }) as KubeObject, { subresource: 'status' });
  return result.object;
};

export function featuresServer(): APIServerBuilder {
  return apiServer({ name: 'features', serviceHosts: ['api.features.svc'] })
    .withKind(widgetKind, { actions: { approve } })
    .withResource(widgetMetricsKind, (api) => ({
      async get(ctx: RequestContext, name: string) {
        const widget = (await api.store(widgetKind).get(ctx, name, {}).catch(() => undefined)) as Widget | undefined;
        return widget ? metricsOf(widget) : undefined;
      },
      async list(ctx: RequestContext) {
        return ((await api.store(widgetKind).list(ctx, {})).items as Widget[]).map(metricsOf);
      },
    }));
}

if (require.main === module) {
  featuresServer()
    .run()
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
