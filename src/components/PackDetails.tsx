import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IExplorerItem } from '../models/explorer';
import { IEnvPackagesAnswer } from '../types';
import { ErrorMessage } from './ErrorMessage';

/** A manifest's fields as text, nested values as JSON; empty ones left out. */
export function manifestRows(
  fields: Record<string, unknown>
): [string, string][] {
  return Object.entries(fields)
    .filter(
      ([, value]) => value !== null && value !== undefined && value !== ''
    )
    .map(([key, value]) => [
      key,
      typeof value === 'object' ? JSON.stringify(value) : String(value)
    ]);
}

/**
 * A pack's details: every field of its manifest (or of the installed env), its libraries,
 * and for an installed env the conda packages it holds.
 */
export function PackDetails(props: {
  item: IExplorerItem;
  /** Reads an installed env's packages; absent for packs that are not installed. */
  fetchPackages?: (slug: string) => Promise<IEnvPackagesAnswer>;
  trans: TranslationBundle;
}): JSX.Element {
  const { item, trans } = props;
  const [packages, setPackages] = React.useState<IEnvPackagesAnswer | null>(
    null
  );
  const [error, setError] = React.useState<unknown>(null);
  React.useEffect(() => {
    if (!props.fetchPackages || !item.env) {
      return;
    }
    let current = true;
    props
      .fetchPackages(item.env.slug)
      .then(value => current && setPackages(value))
      .catch(reason => current && setError(reason));
    return () => {
      current = false;
    };
  }, [item.slug]);
  const fields = { ...(item.env ?? {}), ...(item.manifest ?? {}) } as Record<
    string,
    unknown
  >;
  delete fields.libraries;
  return (
    <div className="jp-CondaPacks-details">
      <h3>{trans.__('Manifest')}</h3>
      <dl className="jp-CondaPacks-detailsFields">
        {manifestRows(fields).map(([key, value]) => (
          <div key={key} className="jp-CondaPacks-cardFact">
            <dt>{key}</dt>
            <dd className="jp-CondaPacks-path">{value}</dd>
          </div>
        ))}
      </dl>
      {item.libraries.length > 0 && (
        <>
          <h3>{trans.__('Libraries')}</h3>
          <ul aria-label={trans.__('Libraries of %1', item.slug)}>
            {item.libraries.map(library => (
              <li key={library}>{library}</li>
            ))}
          </ul>
        </>
      )}
      {item.env && (
        <>
          <h3>{trans.__('Packages')}</h3>
          {error ? (
            <ErrorMessage error={error} trans={trans} />
          ) : !packages ? (
            <div className="jp-CondaPacks-message">{trans.__('Loading…')}</div>
          ) : (
            <table
              className="jp-CondaPacks-packages"
              aria-label={trans.__('Packages of %1', item.slug)}
            >
              <thead>
                <tr>
                  <th>{trans.__('Name')}</th>
                  <th>{trans.__('Version')}</th>
                  <th>{trans.__('Build')}</th>
                </tr>
              </thead>
              <tbody>
                {packages.packages.map(pkg => (
                  <tr key={pkg.name}>
                    <td>{pkg.name}</td>
                    <td>{pkg.version}</td>
                    <td>{pkg.build}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}
