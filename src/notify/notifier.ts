import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { toIsoInZone } from '../time.ts';
import type { Language } from '../report/wording.ts';
import { noticeText } from './message-text.ts';
import { noticeCameras, type Notice, type NoticeData, type NoticeKind, type RecorderEvent, type RetentionEvent, type Severity } from './notice.ts';
import { DEFAULT_NOTICE_RULES, decideNotices, initialNoticeState, type NoticeRulesOptions, type NoticeState } from './notice-rules.ts';
import type { NotifyDirectory } from './notify-directory.ts';
import type { NotifyMetrics } from './notify-metrics.ts';
import { WebhookDelivery, type WebhookTarget } from './webhook-delivery.ts';

/**
 * The notifier: takes the roles' events (its `handle` is the recorder's `notify` callback),
 * decides notices with notice-rules.ts, words them for each webhook (language, sites) and
 * hands them to that webhook's delivery queue. Never throws into the caller.
 */
export interface NotifierWebhook extends WebhookTarget {
  /** Only these kinds (default: all). */
  events?: readonly NoticeKind[] | undefined;
  /** Only cameras (and site quotas, report lines) of these sites and the sites below them. */
  sites?: readonly string[] | undefined;
  language?: Language | undefined;
}

export interface NotifierOptions {
  webhooks: readonly NotifierWebhook[];
  directory: NotifyDirectory;
  clock: Clock;
  log: Logger;
  timeZone: string;
  language?: Language;
  rules?: Partial<NoticeRulesOptions>;
  metrics?: NotifyMetrics;
  fetch?: typeof fetch;
  random?: () => number;
  maxQueue?: number;
  giveUpAfterMs?: number;
  retryBaseMs?: number;
  retryCapMs?: number;
  newId?: () => string;
}

export class Notifier {
  private state: NoticeState = initialNoticeState();
  private readonly rules: NoticeRulesOptions;
  private readonly deliveries: Array<{ hook: NotifierWebhook; delivery: WebhookDelivery }>;
  private cancelWake: (() => void) | null = null;
  private wakeAtMs: number | null = null;
  private closed = false;

  constructor(private readonly o: NotifierOptions) {
    this.rules = { ...DEFAULT_NOTICE_RULES, ...o.rules };
    this.deliveries = o.webhooks.map((hook) => ({
      hook,
      delivery: new WebhookDelivery({
        target: { id: hook.id, url: hook.url, secret: hook.secret, timeoutMs: hook.timeoutMs },
        clock: o.clock,
        log: o.log,
        ...(o.fetch ? { fetch: o.fetch } : {}),
        ...(o.random ? { random: o.random } : {}),
        ...(o.metrics ? { metrics: o.metrics } : {}),
        ...(o.maxQueue !== undefined ? { maxQueue: o.maxQueue } : {}),
        ...(o.giveUpAfterMs !== undefined ? { giveUpAfterMs: o.giveUpAfterMs } : {}),
        ...(o.retryBaseMs !== undefined ? { retryBaseMs: o.retryBaseMs } : {}),
        ...(o.retryCapMs !== undefined ? { retryCapMs: o.retryCapMs } : {}),
      }),
    }));
  }

  /** Feed one event (the recorder's and retention's `notify` callback). */
  readonly handle = (event: RecorderEvent | RetentionEvent): void => {
    this.step(event);
  };

  /** Sends a notice decided elsewhere (the daily report). */
  publish(severity: Severity, data: NoticeData): void {
    if (this.closed) return;
    this.dispatch({ id: (this.o.newId ?? randomUUID)(), atMs: this.o.clock.nowMs(), severity, data });
  }

  /** Resolves when every webhook queue is empty. */
  async idle(): Promise<void> {
    await Promise.all(this.deliveries.map((d) => d.delivery.idle()));
  }

  pending(): number {
    return this.deliveries.reduce((n, d) => n + d.delivery.pending(), 0);
  }

  close(): void {
    this.closed = true;
    this.cancelWake?.();
    for (const d of this.deliveries) d.delivery.close();
  }

  private step(event: RecorderEvent | RetentionEvent | { type: 'tick'; atMs: number }): void {
    if (this.closed) return;
    try {
      const decision = decideNotices(this.state, event, this.rules);
      this.state = decision.state;
      for (const n of decision.notices) this.dispatch({ id: (this.o.newId ?? randomUUID)(), ...n });
      this.scheduleWake(decision.wakeAtMs);
    } catch (err) {
      this.o.log.error({ err, event: event.type }, 'notification bookkeeping failed');
    }
  }

  private scheduleWake(atMs: number | null): void {
    if (atMs === this.wakeAtMs) return;
    this.cancelWake?.();
    this.cancelWake = null;
    this.wakeAtMs = atMs;
    if (atMs === null) return;
    this.cancelWake = this.o.clock.setTimer(atMs - this.o.clock.nowMs(), () => {
      this.cancelWake = null;
      this.wakeAtMs = null;
      this.step({ type: 'tick', atMs: this.o.clock.nowMs() });
    });
  }

  private dispatch(notice: Notice): void {
    this.o.metrics?.notices.inc({ kind: notice.data.kind });
    this.o.log.info({ notice: notice.id, kind: notice.data.kind, cameras: noticeCameras(notice.data) }, 'notice');
    for (const { hook, delivery } of this.deliveries) {
      if (hook.events && !hook.events.includes(notice.data.kind)) continue;
      const scoped = hook.sites ? scopeToSites(notice, hook.sites, this.o.directory) : notice;
      if (!scoped) continue;
      const language = hook.language ?? this.o.language ?? 'vi';
      delivery.enqueue({ id: scoped.id, kind: scoped.data.kind, body: JSON.stringify(this.payload(scoped, language)) });
    }
  }

  private payload(n: Notice, language: Language) {
    const dir = this.o.directory;
    const cams = noticeCameras(n.data);
    const camera = cams.length === 1 ? { id: cams[0]!, name: dir.cameraName(cams[0]!), site: dir.siteOf(cams[0]!), siteName: dir.siteName(dir.siteOf(cams[0]!)) } : undefined;
    return {
      id: n.id,
      kind: n.data.kind,
      severity: n.severity,
      at: toIsoInZone(n.atMs, this.o.timeZone),
      atMs: n.atMs,
      language,
      text: noticeText(n, dir, { language, timeZone: this.o.timeZone }),
      ...(camera ? { camera } : {}),
      data: n.data,
    };
  }
}

/**
 * The part of a notice a site-scoped webhook may see, or null: camera notices for cameras
 * within its sites, site quotas within them, report lines of those sites. Install-wide notices
 * (object store, retention, the whole store's quota) go to unscoped webhooks only.
 */
export function scopeToSites(n: Notice, sites: readonly string[], dir: NotifyDirectory): Notice | null {
  const d = n.data;
  const within = (cameraId: string) => dir.cameraWithin(cameraId, sites);
  const siteWithin = (siteId: string | null) => siteId !== null && dir.siteChainOfSite(siteId).some((s) => sites.includes(s));
  switch (d.kind) {
    case 'camera_down':
    case 'camera_up':
      return within(d.cameraId) ? n : null;
    case 'gaps': {
      const gaps = d.gaps.filter((g) => within(g.cameraId));
      return gaps.length ? { ...n, data: { ...d, gaps } } : null;
    }
    case 'spool_full': {
      const cameraIds = d.cameraIds.filter(within);
      return cameraIds.length ? { ...n, data: { ...d, cameraIds } } : null;
    }
    case 'quota_near':
    case 'quota_unmet':
      return siteWithin(d.scope) ? n : null;
    case 'daily_report': {
      const lines = d.sites.filter((s) => siteWithin(s.siteId));
      return lines.length ? { ...n, data: { ...d, sites: lines } } : null;
    }
    default:
      return null;
  }
}
