import { CliError } from '../errors.js';
import { checkKind, checkVersion, pluralize, projectNameOf, resolveGroup } from './names.js';

describe('names', () => {
  it('pluralizes as CRDs usually do', () => {
    expect(pluralize('Flunder')).toBe('flunders');
    expect(pluralize('Policy')).toBe('policies');
    expect(pluralize('Gateway')).toBe('gateways');
    expect(pluralize('Box')).toBe('boxes');
    expect(pluralize('Bus')).toBe('buses');
  });

  it('puts a short group under the domain, and takes a dotted one as is', () => {
    expect(resolveGroup('ship', 'example.com')).toEqual({ group: 'ship.example.com', short: 'ship' });
    expect(resolveGroup('fleet.acme.io', 'example.com')).toEqual({ group: 'fleet.acme.io', short: 'fleet' });
    expect(() => resolveGroup('Ship', 'example.com')).toThrow(CliError);
  });

  it('checks versions, kinds and project names with a hint', () => {
    expect(checkVersion('v1beta2')).toBe('v1beta2');
    expect(() => checkVersion('1.0')).toThrow(/not a Kubernetes API version/);
    expect(() => checkKind('frigate')).toThrow(expect.objectContaining({ hint: expect.stringContaining('UpperCamelCase') }));
    expect(projectNameOf('My_API')).toBe('my-api');
  });
});
