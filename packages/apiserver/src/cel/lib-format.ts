/**
 * Kubernetes' format library (k8s.io/apiserver/pkg/cel/library/format.go): format.named(name) and
 * format.<name>() give a Format; <Format>.validate(s) is optional.none() when s is valid, else
 * optional.of(the list of error strings apimachinery's validation gives).
 */
import { celFunc, celList, celMethod, CelScalar, mapType, type CelFunc, type CelValue } from '@bufbuild/cel';
import { charge, stringCost } from './cost.js';
import { OPTIONAL_NONE, OptionalValue } from './lib-optional.js';
import { parseUrl } from './lib-url.js';
import { asCel, OpaqueValue } from './values.js';

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const LABEL_KEY_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${LABEL_KEY_FMT})?`;
const full = (fmt: string): RegExp => new RegExp(`^(?:${fmt})$`);

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}
const maxLen = (n: number): string => `must be no more than ${n} characters`;
const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLen(63));
  if (!full(DNS1123_LABEL_FMT).test(value)) {
    if (full(DNS1123_SUBDOMAIN_FMT).test(value)) errs.push('must not contain dots');
    else
      errs.push(
        regexError(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
          DNS1123_LABEL_FMT,
          'my-name',
          '123-abc',
        ),
      );
  }
  return errs;
}

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 253) errs.push(maxLen(253));
  if (!full(DNS1123_SUBDOMAIN_FMT).test(value)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN_FMT,
        'example.com',
      ),
    );
  }
  return errs;
}

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLen(63));
  if (!full(DNS1035_LABEL_FMT).test(value)) {
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        DNS1035_LABEL_FMT,
        'my-name',
        'abc-123',
      ),
    );
  }
  return errs;
}

const LABEL_KEY_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a valid label key ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (byteLength(name) > 63) errs.push(`name part ${maxLen(63)}`);
  if (!full(LABEL_KEY_FMT).test(name)) errs.push(`name part ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

export function isLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLen(63));
  if (!full(LABEL_VALUE_FMT).test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errs;
}

/** apimachinery's maskTrailingDash: a prefix may end in '-'. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function validDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

const FORMATS: Record<string, { name: string; validate: (s: string) => string[] }> = {
  dns1123Label: { name: 'DNS1123Label', validate: isDNS1123Label },
  dns1123Subdomain: { name: 'DNS1123Subdomain', validate: isDNS1123Subdomain },
  dns1035Label: { name: 'DNS1035Label', validate: isDNS1035Label },
  qualifiedName: { name: 'QualifiedName', validate: isQualifiedName },
  dns1123LabelPrefix: { name: 'DNS1123LabelPrefix', validate: (s) => isDNS1123Label(maskTrailingDash(s)) },
  dns1123SubdomainPrefix: { name: 'DNS1123SubdomainPrefix', validate: (s) => isDNS1123Subdomain(maskTrailingDash(s)) },
  dns1035LabelPrefix: { name: 'DNS1035LabelPrefix', validate: (s) => isDNS1035Label(maskTrailingDash(s)) },
  labelValue: { name: 'LabelValue', validate: isLabelValue },
  uri: {
    name: 'URI',
    validate: (s) => {
      try {
        parseUrl(s);
        return [];
      } catch (err) {
        return [(err as Error).message];
      }
    },
  },
  uuid: { name: 'uuid', validate: (s) => (UUID.test(s) ? [] : ['does not match the UUID format']) },
  byte: {
    name: 'byte',
    validate: (s) => (/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s) ? [] : ['invalid base64']),
  },
  date: { name: 'date', validate: (s) => (validDate(s) ? [] : ['invalid date']) },
  datetime: {
    name: 'datetime',
    validate: (s) =>
      /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s.replace(' ', 'T')))
        ? []
        : ['invalid datetime'],
  },
};

export class FormatValue extends OpaqueValue {
  readonly typeName = 'kubernetes.NamedFormat';
  constructor(
    readonly name: string,
    readonly check: (s: string) => string[],
  ) {
    super();
  }
  equals(other: OpaqueValue): boolean {
    return other instanceof FormatValue && other.name === this.name;
  }
  toJSON(): unknown {
    return this.name;
  }
}

const { STRING, DYN } = CelScalar;

export const FORMAT: CelFunc[] = [
  celFunc('format.named', [STRING], DYN, (name) => {
    const f = Object.hasOwn(FORMATS, name) ? FORMATS[name] : undefined;
    return f ? new OptionalValue(asCel(new FormatValue(f.name, f.validate))) : OPTIONAL_NONE;
  }),
  ...Object.entries(FORMATS).map(([key, f]) => celFunc(`format.${key}`, [], DYN, () => new FormatValue(f.name, f.validate))),
  celMethod('validate', mapType(DYN, DYN), [STRING], DYN, function (s) {
    const self = this as CelValue;
    if (!(self instanceof FormatValue)) throw new Error('no such overload');
    charge(stringCost(s));
    const errs = self.check(s);
    return errs.length === 0 ? OPTIONAL_NONE : new OptionalValue(celList(errs));
  }),
];

export const FORMAT_NAMES = ['format.named', ...Object.keys(FORMATS).map((k) => `format.${k}`)];
