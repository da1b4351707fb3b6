// The Model panel's Hub settings and per-file downloads outside the browser (no localStorage, no
// worker): the address parsed or refused with the way out, the token trimmed, a refused address
// stopping a fetch before it is asked for, and each file's bytes kept in the order files started.
import { describe, expect, it } from 'vitest';
import { useHubSettingsStore } from '../../src/ui/stores/hubSettingsStore.ts';
import { useModelStore } from '../../src/ui/stores/modelStore.ts';

describe('the Hub settings', () => {
  it('starts at huggingface.co, takes a mirror, and keeps a bad address as typed with its problem', () => {
    const settings = useHubSettingsStore.getState();
    expect(useHubSettingsStore.getState()).toMatchObject({ baseUrlText: '', baseUrl: 'https://huggingface.co', baseUrlProblem: null });
    settings.setBaseUrlText('http://127.0.0.1:8080/hub/');
    expect(useHubSettingsStore.getState()).toMatchObject({ baseUrl: 'http://127.0.0.1:8080/hub', baseUrlProblem: null });
    settings.setBaseUrlText('mirror');
    expect(useHubSettingsStore.getState()).toMatchObject({ baseUrlText: 'mirror', baseUrl: null, baseUrlProblem: expect.stringContaining('"mirror" is not an address') });
  });

  it('refuses to fetch while the address is not one, saying how to fix it, and sends nothing', () => {
    useHubSettingsStore.getState().setBaseUrlText('ftp://example.org');
    // With no Worker in Node, a fetch that went ahead would throw here.
    useModelStore.getState().loadHub('org/model');
    expect(useModelStore.getState().status).toBe('idle');
    expect(useModelStore.getState().error).toEqual({
      message: expect.stringContaining('the Hub address: "ftp://example.org" is not an http(s) address'),
      recovery: 'Correct the Hub address, or clear it for huggingface.co.',
    });
    useHubSettingsStore.getState().setBaseUrlText('');
    expect(useHubSettingsStore.getState().baseUrl).toBe('https://huggingface.co');
  });

  it('keeps the token trimmed', () => {
    useHubSettingsStore.getState().setToken('  hf_abc \n');
    expect(useHubSettingsStore.getState().token).toBe('hf_abc');
  });
});

describe('the per-file downloads', () => {
  it('updates a file in place and adds a new one after those started before it', () => {
    const model = useModelStore.getState();
    model.downloadProgress({ file: 'config.json', received: 0, total: 700 });
    model.downloadProgress({ file: 'model-00001-of-00002.safetensors', received: 10, total: null });
    model.downloadProgress({ file: 'config.json', received: 700, total: 700 });
    expect(useModelStore.getState().downloads).toEqual([
      { file: 'config.json', received: 700, total: 700 },
      { file: 'model-00001-of-00002.safetensors', received: 10, total: null },
    ]);
  });
});
