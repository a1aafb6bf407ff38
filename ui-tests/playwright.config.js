/**
 * Playwright configuration for the browser tests, on Galata's defaults.
 *
 * The browser is Debian's Chromium (/usr/bin/chromium): Playwright's own browser downloads
 * are not used. The Jupyter server keeps token authentication on; the token is made here
 * once per run, handed to the server through its environment and sent by the browser in
 * an Authorization header.
 */
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// Worker processes inherit the environment of the main process, so every process of a run
// sees the same token and port.
process.env.CONDA_PACK_EXT_UI_TOKEN ||= crypto.randomBytes(24).toString('hex');
process.env.CONDA_PACK_EXT_UI_PORT ||= '8898';
// The local conda channel of real packages the tests build environments from (built once
// per machine and cached; the command prints its folder).
if (!process.env.CONDA_PACK_EXT_CHANNEL) {
  const repo = path.resolve(__dirname, '..');
  const venvPython = path.join(repo, '.venv', 'bin', 'python');
  const python = fs.existsSync(venvPython) ? venvPython : 'python3';
  process.env.CONDA_PACK_EXT_CHANNEL = execFileSync(
    python,
    ['-m', 'tests.support.channel'],
    { cwd: repo, encoding: 'utf-8' }
  ).trim();
}
const baseURL = `http://127.0.0.1:${process.env.CONDA_PACK_EXT_UI_PORT}`;
// The server under test: JupyterLab of this repository's environment, or the `jupyter` of
// another environment (`make lab40-smoke` runs the oldest supported JupyterLab this way).
const serverCommand = process.env.CONDA_PACK_EXT_UI_JUPYTER
  ? `${process.env.CONDA_PACK_EXT_UI_JUPYTER} lab --config jupyter_server_test_config.py`
  : 'jlpm start';

module.exports = {
  ...baseConfig,
  // One worker: the machine has two cores and JupyterLab is the heavy part.
  workers: 1,
  retries: 0,
  reporter: [['list'], ['html', { open: 'never' }]],
  expect: {
    toHaveScreenshot: { maxDiffPixelRatio: 0.01, animations: 'disabled' }
  },
  use: {
    ...baseConfig.use,
    viewport: { width: 1280, height: 800 },
    baseURL,
    extraHTTPHeaders: {
      Authorization: `token ${process.env.CONDA_PACK_EXT_UI_TOKEN}`
    },
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run'
      ]
    },
    // Video recording needs Playwright's downloaded ffmpeg.
    video: 'off',
    trace: 'retain-on-failure'
  },
  webServer: {
    command: serverCommand,
    url: `${baseURL}/api/status?token=${process.env.CONDA_PACK_EXT_UI_TOKEN}`,
    timeout: 120 * 1000,
    // Never test against a server started elsewhere: it would not have our temporary set-up.
    reuseExistingServer: false,
    // SIGTERM lets the server shut down and remove its temporary folder.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 10000 },
    stdout: 'pipe',
    stderr: 'pipe'
  }
};
