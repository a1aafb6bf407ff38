import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import {
  addIcon,
  folderIcon,
  infoIcon,
  ReactWidget,
  shareIcon
} from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { ActivitySection } from '../components/ActivitySection';
import { CondaPacksPanel, IPanelSection } from '../components/CondaPacksPanel';
import { CreateSection } from '../components/CreateSection';
import { InstalledSection } from '../components/InstalledSection';
import { PublishedSection } from '../components/PublishedSection';
import { StatusSection } from '../components/StatusSection';
import { activityIcon, condaPacksIcon } from '../icons';
import { showSettingsDialog } from './SettingsDialog';
import { ServicePacksModel, StatusModel } from '../models/status';
import { ConfigModel } from '../models/config';
import { EMPTY_FORM, ICreateForm } from '../models/createForm';
import { JobsModel } from '../models/jobs';
import { envJob, PacksModel } from '../models/packs';
import { envRef, publishedRef } from '../models/repro';
import { PublishedSource } from '../components/PublishedSection';
import type { PackActions } from './packActions';
import { PANEL_ID, TRANSLATION_DOMAIN } from '../ids';
import { IManifest, JobKind, JobParams, SectionId } from '../types';

/** What the panel needs from JupyterLab; index.ts supplies it. */
export interface IPanelHost {
  copy: (text: string) => void;
  openNotebook: (kernelName: string) => void;
  /** The path of the file selected in the file browser, if any. */
  selectedFile: () => string | null;
  readFile: (path: string) => Promise<string>;
  /** Ask the user to confirm a destructive action. */
  confirm: (title: string, body: string, accept: string) => Promise<boolean>;
  /** Tell the user an action could not start. */
  reportError: (error: unknown) => void;
}

/** The models the panel shows. */
export interface IPanelModels {
  status: StatusModel;
  packs: PacksModel;
  jobs: JobsModel;
  config: ConfigModel;
  servicePacks: ServicePacksModel;
}

/** The Conda Packs side bar widget: the Lumino shell around the React panel. */
export class CondaPacksSidebar extends ReactWidget {
  constructor(
    readonly models: IPanelModels,
    private readonly host: IPanelHost,
    private readonly actions: PackActions,
    translator: ITranslator
  ) {
    super();
    this._trans = translator.load(TRANSLATION_DOMAIN);
    this.id = PANEL_ID;
    this.addClass('jp-CondaPacks-sidebar');
    this.title.icon = condaPacksIcon;
    this.title.caption = this._trans.__('Conda Packs');
    this.title.label = '';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', this._trans.__('Conda Packs'));
    const rerender = () => this.update();
    models.status.changed.connect(rerender);
    models.packs.changed.connect(rerender);
    models.jobs.changed.connect(rerender);
    models.config.changed.connect(rerender);
    models.servicePacks.changed.connect(rerender);
  }

  /** The selected section. */
  get section(): SectionId {
    return this._section;
  }

  /** Show a section. */
  showSection(section: SectionId): void {
    this._section = section;
    this.update();
  }

  /** Open the Create section with this environment file chosen. */
  createFrom(path: string): void {
    this._form = { ...this._form, source: 'file', path, fileText: null };
    this._formKey++;
    this.showSection('create');
  }

  /** Show the Settings dialog; a save reads the status and the packs again. */
  async showSettings(): Promise<void> {
    await showSettingsDialog(this.models.config, this._trans, () => {
      void this.models.status.refresh();
      void this.models.packs.refresh();
    });
  }

  /** Read everything again. */
  async refresh(): Promise<void> {
    await Promise.all([
      this.models.status.refresh(),
      this.models.packs.refresh(),
      this.models.jobs.load(),
      this.models.config.refresh()
    ]);
  }

  /** Load everything the first time the panel is shown, not at JupyterLab's start. */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.models.jobs.visible = true;
    if (!this._loaded) {
      this._loaded = true;
      void this.refresh();
    }
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.models.jobs.visible = false;
  }

  protected render(): JSX.Element {
    return (
      <CondaPacksPanel
        sections={this.sections()}
        trans={this._trans}
        selected={this._section}
        onSettings={() => void this.showSettings()}
        onSelect={id => {
          this._section = id as SectionId;
          this.update();
        }}
      />
    );
  }

  /** Start a job and show it in Activity; a refused job is reported and rethrown. */
  private async startJob(kind: JobKind, params: JobParams): Promise<void> {
    await this.models.jobs.submit(kind, params);
  }

  /** Show the Published section's Data Science or store list. */
  private showPublished(source: PublishedSource): void {
    this._publishedSource = source;
    const service = this.models.servicePacks;
    if (source === 'service' && !service.state.data && !service.state.loading) {
      void service.refresh();
    }
    this.update();
  }

  private sections(): IPanelSection[] {
    const trans = this._trans;
    const { status, packs, jobs, config } = this.models;
    const host = this.host;
    const actions = this.actions;
    const busy = actions.busySlugs();
    const packFolder = actions.packFolder();
    return [
      {
        id: 'installed',
        label: trans.__('Installed'),
        icon: folderIcon,
        render: () => (
          <InstalledSection
            state={packs.installed}
            busySlugs={busy}
            trans={trans}
            actions={{
              publish: env => void actions.publish(env),
              repack: env => void actions.run(envJob('pack', env, packFolder)),
              uninstall: env => void actions.uninstall(env),
              copy: host.copy,
              openNotebook: host.openNotebook,
              refresh: () => void packs.refreshInstalled(),
              rebuild: env => void actions.rebuild(envRef(env)),
              compare: env => void actions.compare(envRef(env))
            }}
          />
        )
      },
      {
        id: 'published',
        label: trans.__('Published'),
        icon: shareIcon,
        render: () => (
          <PublishedSection
            state={packs.published}
            serviceState={this.models.servicePacks.state}
            source={this._publishedSource}
            onSource={source => this.showPublished(source)}
            packFolder={
              packFolder || status.state.data?.conda_pack_folder || ''
            }
            busySlugs={busy}
            trans={trans}
            actions={{
              install: (pack: IManifest, folder: string, service: boolean) =>
                void actions.install(pack, folder, service),
              useInOci: subject => void actions.useInOci(subject),
              rebuild: pack => void actions.rebuild(publishedRef(pack)),
              compare: pack => void actions.compare(publishedRef(pack)),
              copy: host.copy,
              refresh: rescan =>
                void (this._publishedSource === 'service'
                  ? this.models.servicePacks.refresh()
                  : packs.refreshPublished(rescan))
            }}
          />
        )
      },
      {
        id: 'create',
        label: trans.__('Create'),
        icon: addIcon,
        render: () => (
          <CreateSection
            key={this._formKey}
            initialForm={this._form}
            engines={config.state.data?.choices.engine ?? []}
            trans={trans}
            onFormChange={form => {
              this._form = form;
            }}
            selectedFile={host.selectedFile}
            readFile={host.readFile}
            submit={(kind, params) => this.startJob(kind, params)}
          />
        )
      },
      {
        id: 'activity',
        label: trans.__('Activity'),
        icon: activityIcon,
        render: () => (
          <ActivitySection
            jobs={jobs.jobs}
            error={jobs.error}
            trans={trans}
            actions={{
              cancel: job =>
                void jobs
                  .cancel(job.id)
                  .catch(error => host.reportError(error)),
              loadLog: job => void jobs.fetchLog(job.id).catch(() => undefined),
              refresh: () => void jobs.load()
            }}
          />
        )
      },
      {
        id: 'status',
        label: trans.__('Status'),
        icon: infoIcon,
        render: () => (
          <StatusSection
            state={status.state}
            trans={trans}
            onRefresh={() => void status.refresh()}
          />
        )
      }
    ];
  }

  private readonly _trans: TranslationBundle;
  private _loaded = false;
  private _section: SectionId = 'installed';
  private _publishedSource: PublishedSource = 'published';
  private _form: ICreateForm = EMPTY_FORM;
  private _formKey = 0;
}
