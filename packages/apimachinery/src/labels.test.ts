import { StatusError } from './status';
import { labelSelectorOf, parseLabelSelector } from './labels';

const labels = { app: 'web', tier: 'front', version: '3' };

describe('parseLabelSelector', () => {
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web, db)', true],
    ['app in (db)', false],
    ['app notin (db,cache)', true],
    ['missing notin (x)', true],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!tier', false],
    ['version>2', true],
    ['version<3', false],
    ['app=web,tier=front,!canary', true],
    ['app=web, tier in (back)', false],
    ['empty=', false],
  ])('%s matches %s', (selector, expected) => {
    expect(parseLabelSelector(selector).matches(labels)).toBe(expected);
  });

  it('matches an empty value against a present empty label', () => {
    expect(parseLabelSelector('flag=').matches({ flag: '' })).toBe(true);
    expect(parseLabelSelector('flag in (,x)').matches({ flag: '' })).toBe(true);
  });

  it('round-trips through toString in key order', () => {
    expect(parseLabelSelector('tier notin (a,b),app=web,!x,y').toString()).toBe('app=web,tier notin (a,b),!x,y');
  });

  it.each(['app in (web', 'app notin web', 'a=b=c', '!', 'app=web,', ',app', 'app in ()x', 'bad key=1', 'version>x', 'app=-bad-', 'k=' + 'v'.repeat(64)])(
    'refuses %j with a 400 Status',
    (selector) => {
      let thrown: unknown;
      try {
        parseLabelSelector(selector);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(StatusError);
      expect((thrown as StatusError).status).toMatchObject({ code: 400, reason: 'BadRequest' });
      expect((thrown as StatusError).message).toContain('label selector');
    },
  );
});

describe('labelSelectorOf (metav1.LabelSelectorAsSelector)', () => {
  it('selects everything when empty, nothing when absent', () => {
    expect(labelSelectorOf({}).matches({ a: 'b' })).toBe(true);
    expect(labelSelectorOf({}).isEmpty()).toBe(true);
    expect(labelSelectorOf(undefined).matches({})).toBe(false);
    expect(labelSelectorOf(null).isEmpty()).toBe(false);
  });

  it('ands matchLabels and matchExpressions', () => {
    const s = labelSelectorOf({ matchLabels: { app: 'x' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'db'] }, { key: 'legacy', operator: 'DoesNotExist' }] });
    expect(s.matches({ app: 'x', tier: 'web' })).toBe(true);
    expect(s.matches({ app: 'x', tier: 'cache' })).toBe(false);
    expect(s.matches({ app: 'x', tier: 'db', legacy: 'yes' })).toBe(false);
    expect(s.toString()).toBe('app=x,!legacy,tier in (web,db)');
    expect(labelSelectorOf({ matchExpressions: [{ key: 'k', operator: 'NotIn', values: ['a'] }] }).matches({})).toBe(true);
    expect(labelSelectorOf({ matchExpressions: [{ key: 'k', operator: 'Exists' }] }).matches({ k: '' })).toBe(true);
  });

  it('refuses what Go refuses', () => {
    expect(() => labelSelectorOf({ matchExpressions: [{ key: 'k', operator: 'In', values: [] }] })).toThrow("for 'in', 'notin' operators, values set can't be empty");
    expect(() => labelSelectorOf({ matchExpressions: [{ key: 'k', operator: 'Exists', values: ['a'] }] })).toThrow('values set must be empty for exists and does not exist');
    expect(() => labelSelectorOf({ matchExpressions: [{ key: 'k', operator: 'Near' as 'In', values: ['a'] }] })).toThrow('"Near" is not a valid label selector operator');
  });
});
