import { ApiTokensRepo } from '../src/db/api-tokens-repo.ts';
import { EventsRepo } from '../src/db/events-repo.ts';
import { GapsRepo } from '../src/db/gaps-repo.ts';
import { RetentionRepo } from '../src/db/retention-repo.ts';
import { SegmentsRepo } from '../src/db/segments-repo.ts';
import { SessionsRepo } from '../src/db/sessions-repo.ts';
import { UsersRepo } from '../src/db/users-repo.ts';
import type { AppDeps } from './app-deps.ts';
import { Authenticator } from './auth/authenticator.ts';
import { LoginService } from './auth/login-service.ts';
import { CameraDirectory } from './camera-directory.ts';
import { SiteTree } from './site-tree.ts';

/** Everything route handlers share, built once per app from its deps. */
export interface AppContext {
  deps: AppDeps;
  sites: SiteTree;
  cameras: CameraDirectory;
  users: UsersRepo;
  sessions: SessionsRepo;
  tokens: ApiTokensRepo;
  segments: SegmentsRepo;
  gaps: GapsRepo;
  /** Expired ranges (what retention removed), for the timeline's includeExpired. */
  retention: RetentionRepo;
  events: EventsRepo;
  authenticator: Authenticator;
  login: LoginService;
}

export function createAppContext(deps: AppDeps): AppContext {
  const nowMs = () => deps.clock.nowMs();
  const users = new UsersRepo(deps.db, nowMs);
  const sessions = new SessionsRepo(deps.db);
  const tokens = new ApiTokensRepo(deps.db);
  return {
    deps,
    sites: new SiteTree(deps.config.sites),
    cameras: new CameraDirectory(deps.config, deps.db, nowMs),
    users,
    sessions,
    tokens,
    segments: new SegmentsRepo(deps.db, nowMs),
    gaps: new GapsRepo(deps.db, nowMs),
    retention: new RetentionRepo(deps.db, nowMs),
    events: new EventsRepo(deps.db),
    authenticator: new Authenticator({ users, sessions, tokens, clock: deps.clock, sessionIdleMs: deps.config.api.sessionIdleMs }),
    login: new LoginService({ db: deps.db, users, sessions, clock: deps.clock, audit: deps.audit, api: deps.config.api }),
  };
}
