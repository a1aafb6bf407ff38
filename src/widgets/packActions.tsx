import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { CompareView } from '../components/CompareView';
import { IExplorerExtraAction } from '../components/ExplorerCard';
import { PackDetails } from '../components/PackDetails';
import { RebuildBody } from '../components/RebuildForm';
import { UsagePanel } from '../components/UsagePanel';
import { IExplorerItem } from '../models/explorer';
import {
  DEFAULT_FRONTEND_SETTINGS,
  IFrontendSettings
} from '../models/frontendSettings';
import { isActive, JobsModel } from '../models/jobs';
import { envJob, IJobRequest, installJob, PacksModel } from '../models/packs';
import {
  compareCandidates,
  explorerItemRef,
  IPackRef,
  nextVersion,
  rebuildJob
} from '../models/repro';
import { IUsageSubject } from '../models/usage';
import { ServerApi } from '../request';
import { IManifest } from '../types';
import { IPanelHost } from './CondaPacksSidebar';

/**
 * What the panel's and the explorer's buttons do, in one place so that both behave alike:
 * start a job (shown in Activity and on both views at once, as both read the same
 * models), ask before uninstalling, and open the "Use in OCI…" and details dialogs.
 */
export class PackActions {
  constructor(
    private readonly models: { packs: PacksModel; jobs: JobsModel },
    private readonly host: IPanelHost,
    private readonly api: Pick<ServerApi, 'usage' | 'envPackages' | 'diff'>,
    private readonly trans: TranslationBundle
  ) {}

  /** The frontend settings in effect: the defaults until the plugin has read them. */
  get settings(): IFrontendSettings {
    return this._settings;
  }

  set settings(value: IFrontendSettings) {
    this._settings = value;
    this._settingsRead = true;
    this._settingsChanged.emit(value);
  }

  /**
   * Whether the settings have been read (or there are none to read). A view restored
   * with the page opens before they are: it waits for them rather than show the defaults.
   */
  get settingsRead(): boolean {
    return this._settingsRead;
  }

  /** Emitted when the settings are read and whenever they change. */
  get settingsChanged(): ISignal<this, IFrontendSettings> {
    return this._settingsChanged;
  }

  /** The configured pack folder, as the installed list reports it. */
  packFolder(): string {
    return this.models.packs.installed.data?.conda_pack_folder ?? '';
  }

  /** The slugs a queued or running job works on: their buttons wait. */
  busySlugs(): Set<string> {
    return new Set(
      this.models.jobs.jobs
        .filter(job => isActive(job.state))
        .map(job => job.slug ?? (job.params?.slug as string))
        .filter(Boolean)
    );
  }

  /** Start a job; a refused one is reported. */
  async run({ kind, params }: IJobRequest): Promise<void> {
    try {
      await this.models.jobs.submit(kind, params);
    } catch (error) {
      this.host.reportError(error);
    }
  }

  /** Install a published pack (or a service pack) into `folder`. */
  install(pack: IManifest, folder: string, service = false): Promise<void> {
    return this.run(installJob(pack, folder || this.packFolder(), service));
  }

  /** Publish an installed env (packing it first if needed). */
  publish(env: { slug: string }): Promise<void> {
    return this.run(envJob('publish', env, this.packFolder()));
  }

  /** Uninstall an env, after asking unless the settings say not to. */
  async uninstall(env: { slug: string; prefix: string }): Promise<void> {
    const trans = this.trans;
    const accepted =
      !this.settings.confirmUninstall ||
      (await this.host.confirm(
        trans.__('Uninstall %1?', env.slug),
        trans.__(
          'This removes %1 and its kernels. Notebooks using its kernel will need another one.',
          env.prefix
        ),
        trans.__('Uninstall')
      ));
    if (accepted) {
      await this.run(envJob('uninstall', env, this.packFolder()));
    }
  }

  /** The "Use in OCI…" dialog of a published or service pack. */
  async useInOci(subject: IUsageSubject): Promise<void> {
    await showDialog({
      title: this.trans.__('Use %1 in OCI', subject.slug),
      body: ReactWidget.create(
        <UsagePanel
          subject={subject}
          fetchUsage={this.api.usage}
          copy={this.host.copy}
          trans={this.trans}
        />
      ),
      buttons: [Dialog.okButton({ label: this.trans.__('Close') })]
    });
  }

  /** The details dialog of an explorer card: its manifest and packages. */
  async details(item: IExplorerItem): Promise<void> {
    await showDialog({
      title: this.trans.__('%1 %2', item.name, item.version),
      body: ReactWidget.create(
        <PackDetails
          item={item}
          fetchPackages={this.api.envPackages}
          trans={this.trans}
        />
      ),
      buttons: [Dialog.okButton({ label: this.trans.__('Close') })]
    });
  }

  /** "Rebuild…": ask for a name and version, then build them from the pack's lock. */
  async rebuild(pack: IPackRef): Promise<void> {
    const trans = this.trans;
    const result = await showDialog({
      title: trans.__('Rebuild %1', pack.slug),
      body: new RebuildBody(
        { name: pack.name, version: nextVersion(pack.version) },
        trans
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Rebuild') })
      ]
    });
    if (result.button.accept && result.value?.name.trim()) {
      await this.run(
        rebuildJob(pack.lockSource, result.value, this.packFolder())
      );
    }
  }

  /** "Rebuild…" and "Compare with…" on the explorer's installed and published cards. */
  explorerActions(): IExplorerExtraAction[] {
    const trans = this.trans;
    const run =
      (action: (pack: IPackRef) => Promise<void>) => (item: IExplorerItem) => {
        const pack = explorerItemRef(item);
        if (pack) {
          void action.call(this, pack);
        }
      };
    return [
      {
        id: 'rebuild',
        label: () => trans.__('Rebuild…'),
        applies: item => !!explorerItemRef(item)?.lockSource,
        run: run(this.rebuild)
      },
      {
        id: 'compare',
        label: () => trans.__('Compare with…'),
        applies: item => !!explorerItemRef(item),
        run: run(this.compare)
      }
    ];
  }

  /** "Compare with…": pick another installed or published pack and see what differs. */
  async compare(pack: IPackRef): Promise<void> {
    const { installed, published } = this.models.packs;
    const candidates = compareCandidates(
      installed.data?.envs ?? [],
      published.data?.packs ?? [],
      pack
    );
    await showDialog({
      title: this.trans.__('Compare %1 with…', pack.slug),
      body: ReactWidget.create(
        <CompareView
          subject={pack}
          candidates={candidates}
          fetchDiff={this.api.diff}
          trans={this.trans}
        />
      ),
      buttons: [Dialog.okButton({ label: this.trans.__('Close') })]
    });
  }

  private _settings: IFrontendSettings = DEFAULT_FRONTEND_SETTINGS;
  private _settingsRead = false;
  private _settingsChanged = new Signal<this, IFrontendSettings>(this);
}
