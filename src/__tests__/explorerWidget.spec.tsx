import { nullTranslator } from '@jupyterlab/translation';
import { MessageLoop } from '@lumino/messaging';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { act, screen, waitFor } from '@testing-library/react';

import { DEFAULT_FRONTEND_SETTINGS } from '../models/frontendSettings';
import { IPanelHost, IPanelModels } from '../widgets/CondaPacksSidebar';
import { ExplorerContent } from '../widgets/ExplorerWidget';
import { PackActions } from '../widgets/packActions';
import { DATA } from './explorerData';

const trans = nullTranslator.load('conda_pack_ext');
const loaded = <T,>(data: T) => ({ data, error: null, loading: false });

/** The models as the explorer reads them, every list already read. */
function fakeModels(): IPanelModels {
  const changed = () => new Signal<unknown, void>({});
  return {
    packs: {
      changed: changed(),
      installed: loaded(DATA.installed),
      published: loaded(DATA.published),
      refreshInstalled: jest.fn(async () => undefined),
      refreshPublished: jest.fn(async () => undefined)
    },
    jobs: { changed: changed(), jobs: [] },
    status: {
      changed: changed(),
      state: loaded(null),
      refresh: jest.fn(async () => undefined)
    },
    servicePacks: {
      changed: changed(),
      state: loaded(DATA.service),
      refresh: jest.fn(async () => undefined)
    },
    config: { changed: changed() }
  } as unknown as IPanelModels;
}

async function show(content: ExplorerContent): Promise<void> {
  await act(async () => {
    Widget.attach(content, document.body);
    MessageLoop.sendMessage(content, Widget.Msg.UpdateRequest);
  });
}

const pressedSource = () =>
  screen
    .getByRole('group', { name: 'Packs to show' })
    .querySelector('[aria-pressed="true"]')?.textContent;

describe('ExplorerContent', () => {
  let content: ExplorerContent;
  let actions: PackActions;

  beforeEach(() => {
    const models = fakeModels();
    const host = {} as IPanelHost;
    actions = new PackActions(models, host, {} as never, trans);
    content = new ExplorerContent(models, host, actions, trans);
  });

  afterEach(() => act(() => content.dispose()));

  it('restored before the settings are read, waits for them and shows the saved source', async () => {
    await show(content);
    expect(screen.getByText('Loading…')).toBeTruthy();
    expect(screen.queryByRole('group', { name: 'Packs to show' })).toBeNull();
    await act(async () => {
      actions.settings = {
        ...DEFAULT_FRONTEND_SETTINGS,
        explorerSource: 'service'
      };
    });
    await waitFor(() => expect(pressedSource()).toBe('Data Science'));
    // A later change of the setting leaves the open explorer's source alone.
    await act(async () => {
      content.showSource('published');
      actions.settings = {
        ...DEFAULT_FRONTEND_SETTINGS,
        explorerSource: 'installed'
      };
    });
    await waitFor(() => expect(pressedSource()).toBe('Published'));
  });

  it('opened after the settings are read, starts on the saved source', async () => {
    act(() => content.dispose());
    actions.settings = {
      ...DEFAULT_FRONTEND_SETTINGS,
      explorerSource: 'published'
    };
    const models = fakeModels();
    content = new ExplorerContent(models, {} as IPanelHost, actions, trans);
    await show(content);
    await waitFor(() => expect(pressedSource()).toBe('Published'));
  });
});
