import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { ensureWebBuilt } from '../helpers/web-build.ts';
import { startApiHarness, type ApiHarness } from './api-harness.ts';

// `ui.grafanaUrl` reaches the page's settings (the ops page links its dashboards there), and a
// value that is not an http(s) address stops start-up naming the key.
describe('the Grafana link setting', () => {
  let h: ApiHarness;
  let bare: ApiHarness;
  beforeAll(async () => {
    await ensureWebBuilt();
    [h, bare] = await Promise.all([startApiHarness({ config: { ui: { grafanaUrl: 'https://grafana.quan1.example/' } } }), startApiHarness()]);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await bare?.close();
  });

  const settingsOf = async (x: ApiHarness) => {
    const html = await (await x.fetch('/', { headers: { accept: 'text/html' } })).text();
    const raw = /<meta name="vigil-settings" content="([^"]*)"/.exec(html)?.[1] ?? '';
    return JSON.parse(raw.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as Record<string, unknown>;
  };

  it('is passed to the web UI when set, absent otherwise', async () => {
    expect((await settingsOf(h)).grafanaUrl).toBe('https://grafana.quan1.example/');
    expect(await settingsOf(bare)).not.toHaveProperty('grafanaUrl');
  });

  it.each(['ftp://grafana.example', 'grafana.example:3000', 'javascript:alert(1)'])('refuses %j at start-up', (grafanaUrl) => {
    expect(() => validateConfig({ ui: { grafanaUrl } })).toThrow(/ui\.grafanaUrl: must be an http:\/\/ or https:\/\/ address/);
  });

  it('takes VIGIL_UI_GRAFANA_URL', () => {
    expect(validateConfig({}, { env: { VIGIL_UI_GRAFANA_URL: 'http://10.0.0.5:3000' } }).ui.grafanaUrl).toBe('http://10.0.0.5:3000');
  });
});
