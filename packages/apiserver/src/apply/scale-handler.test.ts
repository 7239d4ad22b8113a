/**
 * The ScaleHandler's table, as k8s.io/apimachinery/pkg/util/managedfields/scalehandler_test.go
 * (TestTransformManagedFieldsToSubresource, TestTransformingManagedFieldsToParent,
 * TestTransformingManagedFieldsToParentMultiVersion), on the same entries.
 */
import type { ManagedFieldsEntry } from '@kapi/apimachinery';
import { makePath } from './fieldpath.js';
import { ScaleHandler, type ResourcePathMappings } from './scale-handler.js';

const TIME = '2013-02-03T00:00:00Z';

/** An entry as metav1.ManagedFieldsEntry literals in the Go table: FieldsV1 given as its JSON. */
const e = (manager: string, operation: 'Apply' | 'Update', apiVersion: string, fieldsV1: string, more: Partial<ManagedFieldsEntry> = {}): ManagedFieldsEntry => ({
  manager,
  operation,
  apiVersion,
  fieldsType: 'FieldsV1',
  fieldsV1: JSON.parse(fieldsV1) as Record<string, unknown>,
  ...more,
});

const REPLICAS = '{"f:spec":{"f:replicas":{}}}';
const SELECTOR = '{"f:spec":{"f:selector":{}}}';
const REPLICAS_SELECTOR = '{"f:spec":{"f:replicas":{},"f:selector":{}}}';
const scale = { subresource: 'scale' };

const defaultMappings = (): ResourcePathMappings => new Map([['apps/v1', makePath('spec', 'replicas')]]);

describe('ScaleHandler.toSubresource (TestTransformManagedFieldsToSubresource)', () => {
  const cases: Array<[string, ManagedFieldsEntry[], ManagedFieldsEntry[] | undefined]> = [
    [
      'filter one entry and transform it into a subresource entry',
      [e('manager-1', 'Apply', 'apps/v1', '{"f:spec":{"f:another-field":{}}}'), e('manager-2', 'Apply', 'apps/v1', REPLICAS, { time: TIME })],
      [e('manager-2', 'Apply', 'autoscaling/v1', REPLICAS, { time: TIME })],
    ],
    [
      'transform all entries',
      [e('manager-1', 'Apply', 'apps/v1', REPLICAS), e('manager-2', 'Apply', 'apps/v1', REPLICAS), e('manager-3', 'Apply', 'apps/v1', REPLICAS, scale)],
      [e('manager-1', 'Apply', 'autoscaling/v1', REPLICAS), e('manager-2', 'Apply', 'autoscaling/v1', REPLICAS), e('manager-3', 'Apply', 'autoscaling/v1', REPLICAS, scale)],
    ],
    ['drops fields if the api version is unknown', [e('manager-1', 'Apply', 'apps/v10', REPLICAS)], undefined],
  ];
  it.each(cases)('%s', (_desc, input, expected) => {
    expect(new ScaleHandler(input, 'apps/v1', defaultMappings()).toSubresource()).toEqual(expected);
  });
});

describe('ScaleHandler.toParent (TestTransformingManagedFieldsToParent)', () => {
  const cases: Array<[string, ManagedFieldsEntry[], ManagedFieldsEntry[], ManagedFieldsEntry[]]> = [
    [
      'different-managers: apply -> update',
      [e('test', 'Apply', 'apps/v1', REPLICAS_SELECTOR)],
      [e('scale', 'Update', 'autoscaling/v1', REPLICAS, scale)],
      [e('test', 'Apply', 'apps/v1', SELECTOR), e('scale', 'Update', 'apps/v1', REPLICAS, scale)],
    ],
    [
      'different-managers: apply -> apply',
      [e('test', 'Apply', 'apps/v1', REPLICAS_SELECTOR)],
      [e('scale', 'Apply', 'autoscaling/v1', REPLICAS, scale)],
      [e('scale', 'Apply', 'apps/v1', REPLICAS, scale), e('test', 'Apply', 'apps/v1', SELECTOR)],
    ],
    [
      'different-managers: update -> update',
      [e('test', 'Update', 'apps/v1', REPLICAS_SELECTOR)],
      [e('scale', 'Update', 'autoscaling/v1', REPLICAS, scale)],
      [e('scale', 'Update', 'apps/v1', REPLICAS, scale), e('test', 'Update', 'apps/v1', SELECTOR)],
    ],
    [
      'different-managers: update -> apply',
      [e('test', 'Update', 'apps/v1', REPLICAS_SELECTOR)],
      [e('scale', 'Apply', 'autoscaling/v1', REPLICAS, scale)],
      [e('scale', 'Apply', 'apps/v1', REPLICAS, scale), e('test', 'Update', 'apps/v1', SELECTOR)],
    ],
    [
      'same manager: apply -> apply',
      [e('test', 'Apply', 'apps/v1', REPLICAS_SELECTOR)],
      [e('test', 'Apply', 'autoscaling/v1', REPLICAS, scale)],
      [e('test', 'Apply', 'apps/v1', SELECTOR), e('test', 'Apply', 'apps/v1', REPLICAS, scale)],
    ],
    [
      'same manager: update -> update',
      [e('test', 'Update', 'apps/v1', REPLICAS_SELECTOR)],
      [e('test', 'Update', 'autoscaling/v1', REPLICAS, scale)],
      [e('test', 'Update', 'apps/v1', SELECTOR), e('test', 'Update', 'apps/v1', REPLICAS, scale)],
    ],
    [
      'same manager: update -> apply',
      [e('test', 'Update', 'apps/v1', REPLICAS_SELECTOR)],
      [e('test', 'Apply', 'autoscaling/v1', REPLICAS, scale)],
      [e('test', 'Apply', 'apps/v1', REPLICAS, scale), e('test', 'Update', 'apps/v1', SELECTOR)],
    ],
    [
      'same manager: apply -> update',
      [e('test', 'Apply', 'apps/v1', REPLICAS_SELECTOR)],
      [e('test', 'Update', 'autoscaling/v1', REPLICAS, scale)],
      [e('test', 'Apply', 'apps/v1', SELECTOR), e('test', 'Update', 'apps/v1', REPLICAS, scale)],
    ],
    [
      "subresource doesn't own the path anymore",
      [e('test', 'Apply', 'apps/v1', SELECTOR)],
      [e('scale', 'Update', 'autoscaling/v1', '{"f:status":{"f:replicas":{}}}', scale)],
      [e('test', 'Apply', 'apps/v1', SELECTOR)],
    ],
    [
      'Subresource steals all the fields of the parent resource',
      [e('test', 'Apply', 'apps/v1', REPLICAS)],
      [e('scale', 'Update', 'autoscaling/v1', REPLICAS, scale)],
      [e('scale', 'Update', 'apps/v1', REPLICAS, scale)],
    ],
    [
      'apply without stealing',
      [e('test', 'Apply', 'apps/v1', REPLICAS_SELECTOR)],
      [e('test', 'Apply', 'autoscaling/v1', REPLICAS), e('test', 'Apply', 'autoscaling/v1', REPLICAS, scale)],
      [e('test', 'Apply', 'apps/v1', REPLICAS_SELECTOR), e('test', 'Apply', 'apps/v1', REPLICAS, scale)],
    ],
    [
      'drops the entry if the api version is unknown',
      [e('test', 'Apply', 'apps/v1', REPLICAS), e('another-manager', 'Apply', 'apps/v10', SELECTOR)],
      [e('scale', 'Update', 'autoscaling/v1', REPLICAS)],
      [e('scale', 'Update', 'apps/v1', REPLICAS)],
    ],
  ];
  it.each(cases)('%s', (_desc, parent, subresource, expected) => {
    expect(new ScaleHandler(parent, 'apps/v1', defaultMappings()).toParent(subresource)).toEqual(expected);
  });
});

describe('ScaleHandler.toParent of a parent in several versions (TestTransformingManagedFieldsToParentMultiVersion)', () => {
  const cases: Array<[string, string, ResourcePathMappings, ManagedFieldsEntry[], ManagedFieldsEntry[], ManagedFieldsEntry[]]> = [
    [
      'multi-version',
      'apps/v1',
      new Map([
        ['apps/v1', makePath('spec', 'the-replicas')],
        ['apps/v2', makePath('spec', 'not-the-replicas')],
      ]),
      [e('test', 'Apply', 'apps/v1', '{"f:spec":{"f:the-replicas":{},"f:selector":{}}}'), e('test-other', 'Apply', 'apps/v2', '{"f:spec":{"f:not-the-replicas":{},"f:selector":{}}}')],
      [e('scale', 'Update', 'autoscaling/v1', REPLICAS, scale)],
      [e('test', 'Apply', 'apps/v1', SELECTOR), e('test-other', 'Apply', 'apps/v2', SELECTOR), e('scale', 'Update', 'apps/v1', '{"f:spec":{"f:the-replicas":{}}}', scale)],
    ],
    [
      'Custom resource without scale subresource, scaling a version with `scale`',
      'mygroup/v1',
      new Map([
        ['mygroup/v1', makePath('spec', 'the-replicas')],
        ['mygroup/v2', undefined],
      ]),
      [e('test', 'Apply', 'mygroup/v1', '{"f:spec":{"f:the-replicas":{},"f:selector":{}}}'), e('test-other', 'Apply', 'mygroup/v2', '{"f:spec":{"f:test-other":{}}}')],
      [e('scale', 'Update', 'autoscaling/v1', REPLICAS, scale)],
      [e('test', 'Apply', 'mygroup/v1', SELECTOR), e('test-other', 'Apply', 'mygroup/v2', '{"f:spec":{"f:test-other":{}}}'), e('scale', 'Update', 'mygroup/v1', '{"f:spec":{"f:the-replicas":{}}}', scale)],
    ],
  ];
  it.each(cases)('%s', (_desc, groupVersion, mappings, parent, subresource, expected) => {
    expect(new ScaleHandler(parent, groupVersion, mappings).toParent(subresource)).toEqual(expected);
  });
});

describe('ScaleHandler times', () => {
  it('keeps the times of the parent entries it keeps; a manager new to the parent has none, as in Go', () => {
    const handler = new ScaleHandler([e('test', 'Apply', 'apps/v1', REPLICAS_SELECTOR, { time: TIME })], 'apps/v1', defaultMappings());
    expect(handler.toParent([e('scale', 'Update', 'autoscaling/v1', REPLICAS, { ...scale, time: '2020-01-01T00:00:00Z' })])).toEqual([
      e('test', 'Apply', 'apps/v1', SELECTOR, { time: TIME }),
      e('scale', 'Update', 'apps/v1', REPLICAS, scale),
    ]);
  });
});
