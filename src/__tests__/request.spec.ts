import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';

import { describeError } from '../describe';
import { ApiError, createApi, errorFromResponse, requestAPI } from '../request';

const trans = nullTranslator.load('conda_pack_ext');

/** Replace fetch for one test with a server that answers `status` and `body`. */
function answerWith(
  status: number,
  body: string,
  contentType = 'application/json'
) {
  const fetch = jest.fn(
    async () =>
      new Response(body, { status, headers: { 'Content-Type': contentType } })
  );
  jest.spyOn(ServerConnection, 'makeSettings').mockReturnValue(
    ServerConnection.makeSettings({
      baseUrl: 'http://localhost:8888/',
      fetch
    } as any)
  );
  return fetch;
}

afterEach(() => jest.restoreAllMocks());

describe('errorFromResponse', () => {
  it('reads a 404 without an error code as a missing server extension', () => {
    const error = errorFromResponse(404, '<html>404: Not Found</html>');
    expect(error.serverExtensionMissing).toBe(true);
    const { message, hint } = describeError(error, trans);
    expect(`${message} ${hint}`).toBe(
      'The conda-pack-ext server extension is not installed or not enabled. ' +
        'Run: pip install conda-pack-ext, then restart JupyterLab.'
    );
  });

  it("keeps the server's message and hint for its own not-found errors", () => {
    const error = errorFromResponse(404, {
      code: 'not_found',
      message: "pack 'myenv_v1_0' not found",
      hint: 'list the published packs first'
    });
    expect(error.serverExtensionMissing).toBe(false);
    expect(describeError(error, trans)).toEqual({
      message: "pack 'myenv_v1_0' not found",
      hint: 'list the published packs first'
    });
  });

  it('says what to do when the login has expired', () => {
    expect(describeError(errorFromResponse(403, ''), trans).hint).toBe(
      'Reload the page and log in again.'
    );
  });
});

describe('requestAPI', () => {
  it('calls the route under /conda-pack-ext/ and decodes the JSON answer', async () => {
    const fetch = answerWith(200, JSON.stringify({ version: '0.1.0' }));
    await expect(requestAPI<{ version: string }>('status')).resolves.toEqual({
      version: '0.1.0'
    });
    const request = (fetch.mock.calls[0] as unknown[])[0] as Request | string;
    const url = typeof request === 'string' ? request : request.url;
    // GET requests carry a cache-busting timestamp.
    expect(url).toMatch(
      /^http:\/\/localhost:8888\/conda-pack-ext\/status(\?\d+)?$/
    );
  });

  it('turns an error answer into an ApiError with code, message and hint', async () => {
    answerWith(
      400,
      JSON.stringify({
        code: 'invalid_input',
        message: 'bad slug',
        hint: 'use letters'
      })
    );
    const failure = requestAPI('status');
    await expect(failure).rejects.toBeInstanceOf(ApiError);
    await expect(failure).rejects.toMatchObject({
      status: 400,
      code: 'invalid_input',
      message: 'bad slug',
      hint: 'use letters'
    });
  });

  it('recognises the HTML 404 page of a server without the extension', async () => {
    answerWith(404, '<html><title>404: Not Found</title></html>', 'text/html');
    await expect(requestAPI('status')).rejects.toMatchObject({
      serverExtensionMissing: true
    });
  });

  it("goes through the server settings it is given (the app's connection)", async () => {
    const fetch = answerWith(200, JSON.stringify({ jobs: [] }));
    // answerWith's settings carry the fake fetch; only the base URL differs
    const serverSettings = {
      ...ServerConnection.makeSettings(),
      baseUrl: 'http://example.org:9999/user/ana/'
    };
    await expect(createApi(serverSettings).jobs()).resolves.toEqual([]);
    const request = (fetch.mock.calls[0] as unknown[])[0] as Request | string;
    const url = typeof request === 'string' ? request : request.url;
    expect(url).toMatch(
      /^http:\/\/example\.org:9999\/user\/ana\/conda-pack-ext\/jobs(\?\d+)?$/
    );
  });
});
