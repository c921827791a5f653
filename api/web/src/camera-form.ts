/**
 * The camera form of the admin cameras page (pure): what the admin typed → the API body, or
 * the fields that are wrong (checked here first so the admin reads Vietnamese at once; the
 * API checks again with the configuration's rules).
 */
export interface CameraForm {
  kind: 'onvif' | 'rtsp';
  host: string;
  port: string;
  rtspUrl: string;
  username: string;
  password: string;
  id: string;
  name: string;
  site: string;
  audio: boolean;
}

export type CameraField = 'host' | 'port' | 'rtspUrl' | 'username' | 'id';

export const EMPTY_CAMERA_FORM: CameraForm = { kind: 'onvif', host: '', port: '80', rtspUrl: '', username: 'admin', password: '', id: '', name: '', site: '', audio: true };

const ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/** The connection part of the body (POST /api/v1/admin/cameras/test), or the wrong fields. */
export function connectionBody(f: CameraForm): { body: Record<string, unknown> } | { errors: CameraField[] } {
  const errors: CameraField[] = [];
  if (f.kind === 'onvif') {
    const host = f.host.trim();
    const port = Number(f.port.trim() || '80');
    if (!host || /[\s/@]/.test(host)) errors.push('host');
    if (!Number.isInteger(port) || port < 1 || port > 65535) errors.push('port');
    if (!f.username.trim()) errors.push('username');
    if (errors.length) return { errors };
    return { body: { host, port, username: f.username.trim(), password: f.password } };
  }
  const url = f.rtspUrl.trim();
  if (!/^rtsps?:\/\/\S+$/i.test(url)) return { errors: ['rtspUrl'] };
  return { body: { rtspUrl: url, ...(f.username.trim() ? { username: f.username.trim(), password: f.password } : {}) } };
}

/** The whole body of POST /api/v1/admin/cameras, or the wrong fields. */
export function addCameraBody(f: CameraForm): { body: Record<string, unknown> } | { errors: CameraField[] } {
  const conn = connectionBody(f);
  const idWrong = !ID.test(f.id.trim());
  if ('errors' in conn) return { errors: idWrong ? [...conn.errors, 'id'] : conn.errors };
  if (idWrong) return { errors: ['id'] };
  return {
    body: {
      id: f.id.trim(),
      ...(f.name.trim() ? { name: f.name.trim() } : {}),
      ...(f.site ? { site: f.site } : {}),
      audio: f.audio ? 'auto' : 'off',
      ...conn.body,
    },
  };
}

/** A suggested id from a discovered camera's name ("Quầy số 1" → "quay-so-1"). */
export function idFromName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/g, '');
}
