import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { archOf, formatSizeMb } from '../models/packs';
import { licenseSummary } from '../models/repro';

/** What every card shows, for an installed env and a published pack alike. */
export interface ICardSubject {
  slug: string;
  name: string;
  version?: string;
  arch_type?: string;
  python?: string;
  size_mb?: number | null;
  /** The manifest's license summary (packs made by ADS have none). */
  licenses?: unknown;
}

/**
 * The frame of a pack card: title with version and CPU/GPU badges, the facts every card
 * has (slug, python, size) followed by the card's own, and a labelled toolbar of actions.
 */
export function PackCard(props: {
  subject: ICardSubject;
  /** Prefix of the title's element id, unique per section. */
  idPrefix: string;
  trans: TranslationBundle;
  badges?: React.ReactNode;
  intro?: React.ReactNode;
  facts: React.ReactNode;
  actions: React.ReactNode;
  /** The CLI-commands toggle (in the toolbar) and its list (below it). */
  cli: { toggle: React.ReactNode; list: React.ReactNode };
}): JSX.Element {
  const { subject, trans } = props;
  const titleId = `${props.idPrefix}-${subject.slug}`;
  return (
    <li
      className="jp-CondaPacks-card"
      aria-labelledby={titleId}
      data-slug={subject.slug}
    >
      <div className="jp-CondaPacks-cardHeader">
        <span id={titleId} className="jp-CondaPacks-cardTitle">
          {subject.name}
        </span>
        {subject.version && (
          <span className="jp-CondaPacks-badge">{subject.version}</span>
        )}
        <span className="jp-CondaPacks-badge">{archOf(subject)}</span>
        {props.badges}
      </div>
      {props.intro}
      <dl className="jp-CondaPacks-cardFacts">
        <Fact label={trans.__('Slug')} value={subject.slug} code />
        <Fact label={trans.__('Python')} value={subject.python} volatile />
        <Fact
          label={trans.__('Size')}
          value={formatSizeMb(subject.size_mb)}
          volatile
        />
        <Fact
          label={trans.__('Licenses')}
          value={licenseSummary(subject.licenses, count =>
            trans.__('+%1 more', count)
          )}
        />
        {props.facts}
      </dl>
      <div
        className="jp-CondaPacks-actions"
        role="toolbar"
        aria-label={trans.__('Actions for %1', subject.slug)}
      >
        {props.actions}
        {props.cli.toggle}
      </div>
      {props.cli.list}
    </li>
  );
}

/** A term and its value in a card; hidden when there is no value. */
export function Fact(props: {
  label: string;
  value: string | undefined;
  code?: boolean;
  /** A value that changes from run to run (sizes, dates): marked for screenshot masks. */
  volatile?: boolean;
  children?: React.ReactNode;
}): JSX.Element | null {
  if (!props.value) {
    return null;
  }
  return (
    <div
      className="jp-CondaPacks-cardFact"
      role="group"
      aria-label={props.label}
    >
      <dt>{props.label}</dt>
      <dd
        className={
          [
            props.code ? 'jp-CondaPacks-path' : '',
            props.volatile ? 'jp-CondaPacks-volatile' : ''
          ]
            .filter(Boolean)
            .join(' ') || undefined
        }
      >
        {props.value}
        {props.children}
      </dd>
    </div>
  );
}
