import { describe, expect, it } from 'vitest';
import { loadFailureRecovery, ModelFetchError, ModelFileError } from '../../src/model/files.ts';
import { urlSource } from '../../src/model/urlSource.ts';

/** A fake server: known files by URL, and the SPA fallback page for anything else. */
function server(files: Record<string, string>, fallbackPage = true): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const body = files[String(input)];
    if (body !== undefined) return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    return fallbackPage ? new Response('<!doctype html><html></html>', { status: 200, headers: { 'content-type': 'text/html' } }) : new Response('no', { status: 404 });
  }) as typeof fetch;
}

describe('urlSource', () => {
  it('reads files under its base URL', async () => {
    const source = urlSource('/models/demo', 'demo model', { fetchFn: server({ '/models/demo/config.json': '{"a":1}' }) });
    expect(new TextDecoder().decode(await source.read('config.json'))).toBe('{"a":1}');
    expect(await source.has('config.json')).toBe(true);
  });

  it('treats an HTML fallback page as a missing file, and names a server error', async () => {
    const spa = urlSource('/models/demo/', 'demo model', { fetchFn: server({}) });
    expect(await spa.has('config.json')).toBe(false);
    await expect(spa.read('config.json')).rejects.toThrow('demo model/config.json is missing: the server has no such file');
    const strict = urlSource('https://example.org/x/', 'x', { fetchFn: server({}, false) });
    await expect(strict.read('model.safetensors')).rejects.toThrow('x/model.safetensors: the server answered 404');
  });

  it('tells a network failure from a file problem, and a failed load says which way out to take', async () => {
    const offline = urlSource('https://huggingface.co/org/model/resolve/main/', 'org/model', {
      fetchFn: (async () => {
        throw new TypeError('Failed to fetch');
      }) as typeof fetch,
    });
    const error = await offline.read('config.json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFetchError);
    expect(loadFailureRecovery(error, 'demo model')).toBe(
      'Still loaded: demo model. Check the network connection and try again, or download the model and drop its folder in.',
    );
    expect(loadFailureRecovery(new ModelFileError('x has no config.json'), 'demo model')).toMatch(/^Still loaded: demo model\. Check the files/);
    expect(loadFailureRecovery(new Error('device lost'), 'demo model')).toBe('Still loaded: demo model. Try again.');
    expect(loadFailureRecovery(error, null)).toBe('Drop a Hugging Face model folder, type a repo id, or import a checkpoint zip.');
  });
});
