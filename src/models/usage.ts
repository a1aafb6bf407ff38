/**
 * "Use in OCI…": which pack to ask the server about, and the answer cut into the snippets
 * the dialog shows, each with its copy button.
 */
import { IUsageAnswer, UsageTarget } from '../types';

/** The OCI services a pack can be used in, in the order of the dialog's menu. */
export const USAGE_TARGETS: UsageTarget[] = [
  'job',
  'pipeline',
  'model-deployment',
  'dataflow'
];

/** The pack a "Use in OCI…" action is about. */
export interface IUsageSubject {
  slug: string;
  pack_uri: string;
  /** A service pack is named by its slug; a published one by its URI. */
  service: boolean;
}

/** An explorer card's pack as "Use in OCI…" names it. */
export function usageSubject(item: {
  slug: string;
  pack_uri: string;
  source: string;
}): IUsageSubject {
  return {
    slug: item.slug,
    pack_uri: item.pack_uri,
    service: item.source === 'service'
  };
}

/** OCI services read packs from Object Storage only: service packs and oci:// ones. */
export function canUseInOci(subject: IUsageSubject): boolean {
  return subject.service || subject.pack_uri.startsWith('oci://');
}

/** The query of GET usage for a pack and a target. */
export function usageQuery(
  subject: IUsageSubject,
  target: UsageTarget
): string {
  const query = new URLSearchParams({ for: target });
  if (subject.service) {
    query.set('slug', subject.slug);
    query.set('service', '1');
  } else if (subject.pack_uri.startsWith('oci://')) {
    query.set('uri', subject.pack_uri);
  } else {
    query.set('slug', subject.slug);
  }
  return query.toString();
}

/** What a snippet is; the dialog names it in the user's language. */
export type SnippetKind =
  'env' | 'runtime-yaml' | 'spark' | 'ads-python' | 'policy';

/** A block of text to paste somewhere, as the dialog shows it. */
export interface IUsageSnippet {
  kind: SnippetKind;
  text: string;
}

const lines = (values: Record<string, string>) =>
  Object.entries(values)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');

/**
 * The snippets of a usage answer: job and pipeline variables (`KEY=value` lines, as the
 * console's "custom environment variable" fields take them), the model deployment's
 * runtime.yaml block, Data Flow's Spark settings, the ADS code, and the IAM policy.
 */
export function usageSnippets(answer: IUsageAnswer): IUsageSnippet[] {
  const snippets: IUsageSnippet[] = [];
  if (answer.env) {
    snippets.push({ kind: 'env', text: lines(answer.env) });
  }
  if (answer.runtime_yaml_text) {
    snippets.push({ kind: 'runtime-yaml', text: answer.runtime_yaml_text });
  }
  if (answer.spark_conf) {
    snippets.push({ kind: 'spark', text: lines(answer.spark_conf) });
  }
  if (answer.ads_python) {
    snippets.push({ kind: 'ads-python', text: answer.ads_python });
  }
  const policy = answer.policy;
  const policyLines = [
    `# dynamic group matching rule\n${policy.dynamic_group_rule}`,
    ...policy.statements,
    ...(policy.note ? [`# ${policy.note}`] : [])
  ];
  snippets.push({ kind: 'policy', text: policyLines.join('\n') });
  return snippets;
}
