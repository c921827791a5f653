import type { AuditSink } from '../../src/audit/audit-types.ts';
import type { Clock } from '../../src/clock.ts';
import type { Logger } from '../../src/logger.ts';

/**
 * A snapshot wall asks every few seconds for each camera on it; one audit row per picture
 * would bury the log. Asks by the same user for the same camera from the same address are
 * one viewing, written as one 'live.view' entry (via 'snapshot', with its start, end and
 * picture count) once no ask came for idleMs, or at close().
 */
interface Window {
  actor: { userId: string; username: string };
  cameraId: string;
  ip: string;
  startMs: number;
  lastMs: number;
  snapshots: number;
}

export class SnapshotAudit {
  private readonly open = new Map<string, Window>();
  private cancelSweep: (() => void) | null = null;

  constructor(private readonly o: { audit: AuditSink; clock: Clock; log: Logger; idleMs?: number }) {}

  get openWindows(): number {
    return this.open.size;
  }

  seen(actor: { userId: string; username: string }, cameraId: string, ip: string): void {
    const now = this.o.clock.nowMs();
    const key = JSON.stringify([actor.userId, cameraId, ip]);
    const w = this.open.get(key);
    if (w) {
      w.lastMs = now;
      w.snapshots++;
    } else {
      this.open.set(key, { actor, cameraId, ip, startMs: now, lastMs: now, snapshots: 1 });
    }
    this.schedule();
  }

  /** Writes every open viewing (server stopping). */
  async close(): Promise<void> {
    this.cancelSweep?.();
    this.cancelSweep = null;
    await this.flush(Number.POSITIVE_INFINITY);
  }

  private schedule(): void {
    if (this.cancelSweep) return;
    this.cancelSweep = this.o.clock.setTimer(this.idleMs(), () => {
      this.cancelSweep = null;
      void this.flush(this.idleMs()).then(() => {
        if (this.open.size) this.schedule();
      });
    });
  }

  private idleMs(): number {
    return this.o.idleMs ?? 60_000;
  }

  private async flush(idleMs: number): Promise<void> {
    const now = this.o.clock.nowMs();
    const due = [...this.open.entries()].filter(([, w]) => idleMs === Number.POSITIVE_INFINITY || now - w.lastMs >= idleMs);
    for (const [key, w] of due) {
      this.open.delete(key);
      try {
        await this.o.audit.append({
          actor: w.actor, action: 'live.view', cameraId: w.cameraId, startMs: w.startMs, endMs: w.lastMs, ip: w.ip,
          detail: { via: 'snapshot', snapshots: w.snapshots },
        });
      } catch (err) {
        this.o.log.error({ err, cameraId: w.cameraId }, 'audit entry of a snapshot viewing could not be written');
      }
    }
  }
}
