import { useState } from 'preact/hooks';
import { ApiProblem } from '../api-client.ts';
import type { CameraAddResult, CameraTestResult, DiscoveredCamera, Site, StreamSummary } from '../api-types.ts';
import { useSession } from '../app-context.ts';
import { addCameraBody, connectionBody, EMPTY_CAMERA_FORM, idFromName, type CameraField, type CameraForm } from '../camera-form.ts';
import { useI18n, type T } from '../i18n.ts';
import type { MessageKey } from '../messages-vi.ts';
import { ErrorBox, Loading, Notice } from './status.tsx';

/**
 * Adding a camera (admins): find it on the network or type its address, test the connection
 * (the result, or what is wrong in plain words), then add it. The password is sent to the API
 * in the body only and never shown back.
 */
const CAMERA_CODES = ['camera_unreachable', 'camera_auth_failed', 'camera_clock_skew', 'camera_no_video_profile', 'conflict', 'invalid_request'] as const;

export function CameraAddForm({ sites, onAdded }: { sites: Site[]; onAdded(r: CameraAddResult): void }) {
  const { t } = useI18n();
  const s = useSession();
  const [f, setF] = useState<CameraForm>(EMPTY_CAMERA_FORM);
  const [wrong, setWrong] = useState<CameraField[]>([]);
  const [busy, setBusy] = useState<'test' | 'add' | null>(null);
  const [tested, setTested] = useState<CameraTestResult | null>(null);
  const [error, setError] = useState<{ what: 'test' | 'add'; error: unknown } | null>(null);
  const set = (patch: Partial<CameraForm>) => {
    setF((old) => ({ ...old, ...patch }));
    setTested(null);
    setError(null);
  };
  const run = async (what: 'test' | 'add') => {
    const built = what === 'test' ? connectionBody(f) : addCameraBody(f);
    if ('errors' in built) return setWrong(built.errors);
    setWrong([]);
    setBusy(what);
    setError(null);
    setTested(null);
    try {
      if (what === 'test') setTested(await s.api.post<CameraTestResult>('/api/v1/admin/cameras/test', built.body));
      else {
        const r = await s.api.post<CameraAddResult>('/api/v1/admin/cameras', built.body);
        setF(EMPTY_CAMERA_FORM);
        onAdded(r);
      }
    } catch (e) {
      setError({ what, error: e });
    } finally {
      setBusy(null);
    }
  };
  const field = (name: CameraField, label: MessageKey, input: preact.JSX.Element) => (
    <label>
      {t(label)}
      {input}
      {wrong.includes(name) && (
        <span class="form-error" id={`cam-${name}-error`} data-testid={`cam-${name}-error`}>
          {t(`adminCameras.need.${name}` as MessageKey)}
        </span>
      )}
    </label>
  );
  const aria = (name: CameraField) => (wrong.includes(name) ? { 'aria-invalid': true, 'aria-describedby': `cam-${name}-error` } : {});
  return (
    <section class="card" aria-labelledby="cam-add-title" data-testid="camera-add">
      <h2 id="cam-add-title">{t('adminCameras.addTitle')}</h2>
      <Discovery onPick={(d) => set({ kind: 'onvif', host: d.host, port: String(d.port), name: d.name, id: f.id || idFromName(d.name) })} />
      <form
        class="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void run('add');
        }}
      >
        <fieldset class="wide">
          <legend>{t('adminCameras.kind')}</legend>
          <label class="check">
            <input type="radio" name="cam-kind" checked={f.kind === 'onvif'} onChange={() => set({ kind: 'onvif' })} data-testid="cam-kind-onvif" /> {t('adminCameras.kindOnvif')}
          </label>{' '}
          <label class="check">
            <input type="radio" name="cam-kind" checked={f.kind === 'rtsp'} onChange={() => set({ kind: 'rtsp' })} data-testid="cam-kind-rtsp" /> {t('adminCameras.kindRtsp')}
          </label>
        </fieldset>
        {f.kind === 'onvif' ? (
          <>
            {field('host', 'adminCameras.host', <input value={f.host} onInput={(e) => set({ host: e.currentTarget.value })} data-testid="cam-host" autocomplete="off" {...aria('host')} />)}
            {field('port', 'adminCameras.port', <input value={f.port} inputMode="numeric" onInput={(e) => set({ port: e.currentTarget.value })} data-testid="cam-port" {...aria('port')} />)}
          </>
        ) : (
          <div class="wide">{field('rtspUrl', 'adminCameras.rtspUrl', <input value={f.rtspUrl} onInput={(e) => set({ rtspUrl: e.currentTarget.value })} data-testid="cam-rtsp" autocomplete="off" {...aria('rtspUrl')} />)}</div>
        )}
        {field('username', 'adminCameras.username', <input value={f.username} onInput={(e) => set({ username: e.currentTarget.value })} data-testid="cam-username" autocomplete="off" {...aria('username')} />)}
        <label>
          {t('adminCameras.password')}
          <input type="password" value={f.password} onInput={(e) => set({ password: e.currentTarget.value })} data-testid="cam-password" autocomplete="new-password" />
        </label>
        <div class="wide">
          <button type="button" disabled={busy !== null} onClick={() => void run('test')} data-testid="cam-test">
            {t('adminCameras.testConnection')}
          </button>
        </div>
        {busy === 'test' && <div class="wide"><Loading text={t('adminCameras.testing')} /></div>}
        {error?.what === 'test' && <div class="wide"><CameraProblem error={error.error} /></div>}
        {tested && <div class="wide"><TestResult r={tested} /></div>}
        {field('id', 'adminCameras.newId', <input value={f.id} onInput={(e) => set({ id: e.currentTarget.value })} data-testid="cam-id" autocomplete="off" {...aria('id')} />)}
        <label>
          {t('adminCameras.newName')}
          <input value={f.name} onInput={(e) => set({ name: e.currentTarget.value })} data-testid="cam-name" />
        </label>
        <label>
          {t('common.site')}
          <select value={f.site} onChange={(e) => set({ site: e.currentTarget.value })} data-testid="cam-site">
            <option value="">{t('common.noSite')}</option>
            {sites.map((x) => (
              <option key={x.id} value={x.id}>
                {'\u00a0'.repeat(x.depth * 2)}
                {x.name}
              </option>
            ))}
          </select>
        </label>
        <label class="check wide">
          <input type="checkbox" checked={f.audio} onChange={(e) => set({ audio: e.currentTarget.checked })} /> {t('adminCameras.audio')}
        </label>
        <div class="wide">
          {error?.what === 'add' && <CameraProblem error={error.error} />}
          {busy === 'add' && <Loading text={t('adminCameras.saving')} />}
          <button type="submit" class="primary" disabled={busy !== null} data-testid="cam-add">
            {t('adminCameras.save')}
          </button>
        </div>
      </form>
    </section>
  );
}

/** A camera refusal in our words first, the server's detail (English) under it. */
function CameraProblem({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (!(error instanceof ApiProblem) || !(CAMERA_CODES as readonly string[]).includes(error.code)) return <ErrorBox error={error} />;
  const params = Array.isArray(error.body?.invalidParams) ? (error.body.invalidParams as Array<{ name: string; reason: string }>) : [];
  return (
    <div class="state-error" role="alert" data-testid="cam-error" data-code={error.code}>
      <strong>{t('error.title')}:</strong> {t(`adminCameras.err.${error.code}` as MessageKey)}
      {params.length > 0 && (
        <ul>
          {params.map((p) => (
            <li key={p.name}>
              {p.name}: {p.reason}
            </li>
          ))}
        </ul>
      )}
      <div class="muted">{error.detail}</div>
    </div>
  );
}

function streamText(t: T, st: StreamSummary | null): string {
  if (!st) return t('adminCameras.noSub');
  return `${st.codec} ${st.width}×${st.height}${st.audio ? `, ${st.audio}` : ''}`;
}

function TestResult({ r }: { r: CameraTestResult }) {
  const { t } = useI18n();
  const device = [r.manufacturer, r.model].filter(Boolean).join(' ') || t('adminCameras.unknown');
  return (
    <div class="notice notice-ok" role="status" data-testid="cam-test-result">
      <strong>{t('adminCameras.testOk')}</strong>
      <dl class="facts">
        <div>
          <dt>{t('adminCameras.device')}</dt>
          <dd>
            {device}
            {r.firmwareVersion && ` · ${t('adminCameras.firmware', { version: r.firmwareVersion })}`}
          </dd>
        </div>
        <div>
          <dt>{t('adminCameras.mainStream')}</dt>
          <dd data-testid="cam-main-stream">{streamText(t, r.main)}</dd>
        </div>
        <div>
          <dt>{t('adminCameras.subStream')}</dt>
          <dd>{streamText(t, r.sub)}</dd>
        </div>
        {r.clockOffsetMs !== null && (
          <div>
            <dt>{t('adminCameras.clock')}</dt>
            <dd>{t('adminCameras.clockValue', { seconds: (r.clockOffsetMs / 1000).toFixed(1) })}</dd>
          </div>
        )}
        <div>
          <dt>{t('adminCameras.profileG')}</dt>
          <dd>{r.profileG === null ? t('adminCameras.unknown') : r.profileG ? t('common.yes') : t('common.no')}</dd>
        </div>
      </dl>
      {r.clockWarning && <Notice kind="warn">{t('adminCameras.clockWarn')}</Notice>}
    </div>
  );
}

function Discovery({ onPick }: { onPick(d: DiscoveredCamera): void }) {
  const { t } = useI18n();
  const s = useSession();
  const [state, setState] = useState<{ busy: boolean; found: DiscoveredCamera[] | null; error: unknown }>({ busy: false, found: null, error: null });
  const discover = async () => {
    setState({ busy: true, found: null, error: null });
    try {
      const r = await s.api.post<{ cameras: DiscoveredCamera[] }>('/api/v1/admin/cameras/discover', { timeoutMs: 3000 });
      setState({ busy: false, found: r.cameras, error: null });
    } catch (e) {
      setState({ busy: false, found: null, error: e });
    }
  };
  return (
    <div>
      <button type="button" onClick={() => void discover()} disabled={state.busy} data-testid="cam-discover">
        {t('adminCameras.discover')}
      </button>
      {state.busy && <Loading text={t('adminCameras.discovering')} />}
      {state.error !== null && <ErrorBox error={state.error} retry={() => void discover()} />}
      {state.found && state.found.length === 0 && <p class="state-empty">{t('adminCameras.discoverEmpty')}</p>}
      {state.found && state.found.length > 0 && (
        <>
          <p class="muted">{t('adminCameras.discoverFound', { count: state.found.length })}</p>
          <table class="table" data-testid="cam-discovered">
            <thead>
              <tr>
                <th>{t('adminCameras.address')}</th>
                <th>{t('adminCameras.name')}</th>
                <th>{t('adminCameras.model')}</th>
                <th>{t('adminCameras.profiles')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {state.found.map((d) => (
                <tr key={d.address} data-address={d.address} data-configured={d.configuredAs ?? ''}>
                  <td class="mono">{d.address}</td>
                  <td>{d.name}</td>
                  <td>{d.model}</td>
                  <td>{d.profiles.join(', ')}</td>
                  <td>
                    {d.configuredAs ? (
                      <span class="muted">{t('adminCameras.alreadyAdded', { id: d.configuredAs })}</span>
                    ) : (
                      <button type="button" onClick={() => onPick(d)} data-testid="cam-pick">
                        {t('adminCameras.pick')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
