/** Names derived from what the user typed: plurals, identifiers, and the checks that give clear errors. */
import { CliError } from '../errors.js';

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VERSION = /^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

/** The lower-case English plural kube-apiserver's CRD conventions would pick (Flunder → flunders, Policy → policies). */
export function pluralize(kind: string): string {
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}

/** "v1beta1" → "V1beta1", for type names like FrigateV1beta1. */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "Frigate" → "frigate", for variable names like frigateKind. */
export function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

export function checkDomain(domain: string): string {
  if (!DNS_SUBDOMAIN.test(domain) || !domain.includes('.')) {
    throw new CliError(`--domain "${domain}" is not a DNS domain`, 'give one you own, e.g. --domain example.com');
  }
  return domain;
}

export function checkVersion(version: string): string {
  if (!VERSION.test(version)) {
    throw new CliError(`--version "${version}" is not a Kubernetes API version`, 'use v1, v2, v1alpha1, v1beta2 …');
  }
  return version;
}

export function checkKind(kind: string): string {
  if (!KIND.test(kind)) {
    throw new CliError(`--kind "${kind}" is not a Kind name`, 'use UpperCamelCase letters and digits, e.g. --kind Frigate');
  }
  return kind;
}

export function checkPlural(plural: string): string {
  if (!DNS_LABEL.test(plural)) throw new CliError(`--plural "${plural}" is not a lower-case DNS label`, 'e.g. --plural frigates');
  return plural;
}

/** A project (npm package) name from its directory name. */
export function projectNameOf(dirName: string): string {
  const name = dirName.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  if (!DNS_LABEL.test(name)) {
    throw new CliError(`cannot make a project name from "${dirName}"`, 'pick a directory name of lower-case letters, digits and dashes, or pass --name');
  }
  return name;
}

/**
 * The full API group and its short name: `--group ship` with domain example.com is ship.example.com
 * (as kubebuilder does); a dotted `--group ship.acme.io` is taken as is.
 */
export function resolveGroup(group: string, domain: string): { group: string; short: string } {
  const full = group.includes('.') ? group : `${group}.${domain}`;
  const short = full.split('.')[0] ?? '';
  if (!DNS_SUBDOMAIN.test(full) || !DNS_LABEL.test(short)) {
    throw new CliError(`--group "${group}" is not a DNS name`, 'use lower-case letters and digits, e.g. --group ship');
  }
  return { group: full, short };
}
