import { useState } from 'preact/hooks';
import type { Role, Site, User } from '../api-types.ts';
import { useSession } from '../app-context.ts';
import { useI18n } from '../i18n.ts';
import { useLoad } from '../use-load.ts';
import { ErrorBox, Loading, Notice } from '../components/status.tsx';

/**
 * Accounts and roles (admins): add an account, change its role and sites, disable or enable
 * it, set a new password. The API decides who may manage whom; its refusals are shown as said.
 */
const ROLES: Role[] = ['viewer', 'investigator', 'ops', 'admin'];

export function UsersPage() {
  const { t } = useI18n();
  const s = useSession();
  const users = useLoad(async (signal) => (await s.api.get<{ users: User[] }>('/api/v1/users', signal)).users, []);
  const sites = useLoad(async (signal) => (await s.api.get<{ sites: Site[] }>('/api/v1/sites', signal)).sites, []);
  const [notice, setNotice] = useState<string | null>(null);
  if (!s.can('users.manage')) return <Notice kind="warn">{t('users.noPermission')}</Notice>;
  const done = (msg: string) => {
    setNotice(msg);
    users.reload();
  };
  return (
    <section>
      <div class="page-head">
        <h1>{t('users.title')}</h1>
      </div>
      {notice && <Notice kind="ok">{notice}</Notice>}
      <NewUser sites={sites.data ?? []} onAdded={(u) => done(t('users.added', { username: u.username }))} />
      {users.loading ? (
        <Loading />
      ) : !users.data ? (
        <ErrorBox error={users.error} retry={users.reload} />
      ) : (
        <table class="table" data-testid="users-table">
          <thead>
            <tr>
              <th>{t('users.username')}</th>
              <th>{t('users.displayName')}</th>
              <th>{t('users.role')}</th>
              <th>{t('users.sites')}</th>
              <th>{t('users.status')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <UserRow key={`${u.id}-${u.updated}`} u={u} sites={sites.data ?? []} me={u.id === s.me.user.id} onChanged={done} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Site scopes as indented checkboxes; none ticked = every site. */
function SitesPicker({ sites, value, onChange, name }: { sites: Site[]; value: string[]; onChange(v: string[]): void; name: string }) {
  const { t } = useI18n();
  return (
    <fieldset class="sites-picker">
      <legend class="small">{t('users.sites')}</legend>
      {sites.map((x) => (
        <label key={x.id} class="check" style={{ paddingLeft: `${x.depth * 1.1}em` }}>
          <input type="checkbox" name={name} value={x.id} checked={value.includes(x.id)} onChange={(e) => onChange(e.currentTarget.checked ? [...value, x.id] : value.filter((v) => v !== x.id))} />
          {x.name}
        </label>
      ))}
      <div class="muted small">{value.length === 0 ? t('users.allSites') : ''}</div>
    </fieldset>
  );
}

function UserRow({ u, sites, me, onChanged }: { u: User; sites: Site[]; me: boolean; onChanged(msg: string): void }) {
  const { t } = useI18n();
  const s = useSession();
  const [editing, setEditing] = useState<'none' | 'role' | 'password'>('none');
  const [role, setRole] = useState<Role>(u.role);
  const [scopes, setScopes] = useState<string[]>(u.sites);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const path = `/api/v1/users/${encodeURIComponent(u.id)}`;
  const run = async (f: () => Promise<unknown>, msg: string) => {
    setError(null);
    try {
      await f();
      onChanged(msg);
    } catch (e) {
      setError(e);
    }
  };
  const siteNames = (ids: string[]) => (ids.length === 0 ? t('users.allSites') : ids.map((id) => sites.find((x) => x.id === id)?.name ?? id).join(', '));
  return (
    <tr data-user={u.username}>
      <td>
        {u.username} {me && <span class="muted">{t('users.you')}</span>}
      </td>
      <td>{u.displayName}</td>
      <td>
        {editing === 'role' ? (
          <select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)} aria-label={`${t('users.role')} ${u.username}`} data-testid="user-role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        ) : (
          <span data-testid="user-role-text">{t(`role.${u.role}`)}</span>
        )}
      </td>
      <td>{editing === 'role' ? <SitesPicker sites={sites} value={scopes} onChange={setScopes} name={`sites-${u.id}`} /> : siteNames(u.sites)}</td>
      <td>{u.disabled ? <span class="badge badge-bad">{t('users.disabled')}</span> : <span class="badge badge-ok">{t('users.active')}</span>}</td>
      <td>
        <div class="actions">
          {editing === 'role' ? (
            <>
              <button type="button" class="primary" onClick={() => void run(() => s.api.patch(path, { role, sites: scopes }), t('users.saved', { username: u.username }))}>
                {t('common.save')}
              </button>
              <button type="button" onClick={() => setEditing('none')}>
                {t('common.cancel')}
              </button>
            </>
          ) : editing === 'password' ? (
            <form
              class="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                void run(() => s.api.post(`${path}/password`, { password }), t('users.passwordSet', { username: u.username }));
              }}
            >
              <input type="password" autocomplete="new-password" value={password} placeholder={t('users.newPassword')} aria-label={`${t('users.newPassword')} ${u.username}`} onInput={(e) => setPassword(e.currentTarget.value)} />
              <button type="submit" class="primary" disabled={!password}>
                {t('users.resetPassword')}
              </button>
              <button type="button" onClick={() => setEditing('none')}>
                {t('common.cancel')}
              </button>
            </form>
          ) : (
            <>
              <button type="button" onClick={() => setEditing('role')} data-testid="user-edit">
                {t('users.edit')}
              </button>
              {!me && (
                <button type="button" onClick={() => void run(() => s.api.patch(path, { disabled: !u.disabled }), t('users.saved', { username: u.username }))}>
                  {u.disabled ? t('users.enable') : t('users.disable')}
                </button>
              )}
              <button type="button" onClick={() => setEditing('password')}>
                {t('users.resetPassword')}
              </button>
            </>
          )}
        </div>
        {error !== null && <ErrorBox error={error} />}
      </td>
    </tr>
  );
}

function NewUser({ sites, onAdded }: { sites: Site[]; onAdded(u: User): void }) {
  const { t } = useI18n();
  const s = useSession();
  const [open, setOpen] = useState(false);
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [scopes, setScopes] = useState<string[]>([]);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!open)
    return (
      <p>
        <button type="button" class="primary" onClick={() => setOpen(true)} data-testid="new-user">
          {t('users.add')}
        </button>
      </p>
    );
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const u = await s.api.post<User>('/api/v1/users', { username, displayName, role, sites: scopes, password });
      setOpen(false);
      setUsername('');
      setDisplayName('');
      setPassword('');
      setScopes([]);
      onAdded(u);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form-grid" onSubmit={submit} aria-label={t('users.add')}>
      <div>
        <label>
          {t('users.username')}
          <input value={username} onInput={(e) => setUsername(e.currentTarget.value)} autocomplete="off" data-testid="new-user-username" />
        </label>
        <label>
          {t('users.displayName')}
          <input value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} data-testid="new-user-name" />
        </label>
      </div>
      <div>
        <label>
          {t('users.role')}
          <select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)} data-testid="new-user-role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('users.password')}
          <input type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} data-testid="new-user-password" />
        </label>
      </div>
      <SitesPicker sites={sites} value={scopes} onChange={setScopes} name="new-user-sites" />
      <div class="wide">
        {error !== null && <ErrorBox error={error} />}
        <button type="submit" class="primary" disabled={busy} data-testid="new-user-submit">
          {t('users.add')}
        </button>{' '}
        <button type="button" onClick={() => setOpen(false)}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
