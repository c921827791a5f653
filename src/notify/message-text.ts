import { cameraStateLabel, formatBytes, formatDate, formatDateTime, formatDuration, formatPercent, formatTime, gapReasonLabel, type Language } from '../report/wording.ts';
import type { Notice } from './notice.ts';
import type { NotifyDirectory } from './notify-directory.ts';

/**
 * The `text` of a webhook message: short, plain, one idea per line, fit for a chat group
 * (offices use Zalo groups through a bridge). Vietnamese by default, English on request;
 * times in the office's time zone. Never carries a URL, a credential or an error's raw text
 * beyond what the recorder already redacted.
 */
const ICON = { critical: '🔴', warning: '⚠️', info: '🟢' } as const;
const MAX_GAP_LINES = 10;

export function noticeText(n: Notice, dir: NotifyDirectory, o: { language: Language; timeZone: string }): string {
  const lang = o.language;
  const vi = lang === 'vi';
  const when = (ms: number) => formatDateTime(ms, o.timeZone, lang);
  const dur = (ms: number) => formatDuration(ms, lang);
  const d = n.data;
  const head = `${d.kind === 'daily_report' ? '📊' : ICON[n.severity]} [Vigil]`;
  switch (d.kind) {
    case 'camera_down': {
      const why = d.reason ? gapReasonLabel(d.reason, lang) : cameraStateLabel(d.state, lang);
      return vi
        ? `${head} Camera ${dir.cameraLabel(d.cameraId)} mất kết nối từ ${when(d.sinceMs)} (đã ${dur(n.atMs - d.sinceMs)}).\nLý do: ${why}. Trạng thái: ${cameraStateLabel(d.state, lang)}.${d.reason === 'auth_failed' ? '\nCần sửa mật khẩu camera trong cấu hình.' : ''}`
        : `${head} Camera ${dir.cameraLabel(d.cameraId)} down since ${when(d.sinceMs)} (${dur(n.atMs - d.sinceMs)}).\nReason: ${why}. State: ${cameraStateLabel(d.state, lang)}.${d.reason === 'auth_failed' ? '\nFix the camera password in the configuration.' : ''}`;
    }
    case 'camera_up':
      return vi
        ? `${head} Camera ${dir.cameraLabel(d.cameraId)} đã ghi hình trở lại lúc ${when(d.upAtMs)}, sau ${dur(d.upAtMs - d.downSinceMs)} mất kết nối (từ ${formatTime(d.downSinceMs, o.timeZone)}).`
        : `${head} Camera ${dir.cameraLabel(d.cameraId)} recording again at ${when(d.upAtMs)}, after ${dur(d.upAtMs - d.downSinceMs)} down (since ${formatTime(d.downSinceMs, o.timeZone)}).`;
    case 'gaps': {
      const lines = d.gaps.slice(0, MAX_GAP_LINES).map(
        (g) => `- ${dir.cameraLabel(g.cameraId)}: ${when(g.startMs)} → ${formatTime(g.endMs, o.timeZone)} (${dur(g.endMs - g.startMs)}), ${gapReasonLabel(g.reason, lang)}`,
      );
      const more = d.gaps.length - lines.length;
      if (more > 0) lines.push(vi ? `- … và ${more} khoảng trống khác` : `- … and ${more} more`);
      const cams = new Set(d.gaps.map((g) => g.cameraId)).size;
      return (vi ? `${head} Khoảng trống ghi hình (${cams} camera):` : `${head} Gaps in footage (${cams} camera${cams === 1 ? '' : 's'}):`) + `\n${lines.join('\n')}`;
    }
    case 'spool_full':
      return vi
        ? `${head} Bộ nhớ đệm của máy ghi hình đầy (${formatBytes(d.usedBytes)} / ${formatBytes(d.quotaBytes)}): đã bỏ ${d.segments} đoạn ghi cũ nhất của ${d.cameraIds.length} camera để tiếp tục ghi hình.\nKiểm tra kết nối tới kho lưu trữ.`
        : `${head} Recorder spool full (${formatBytes(d.usedBytes)} / ${formatBytes(d.quotaBytes)}): dropped the ${d.segments} oldest segment(s) of ${d.cameraIds.length} camera(s) to keep recording.\nCheck the connection to the object store.`;
    case 'store_unreachable':
      return vi
        ? `${head} Không lưu được video vào kho lưu trữ từ ${when(d.sinceMs)} (${d.failures} lần thử lỗi). Video đang được giữ tạm trên máy ghi hình.\nLỗi: ${d.error}`
        : `${head} Cannot store footage in the object store since ${when(d.sinceMs)} (${d.failures} failed attempts). Footage is kept in the recorder's spool meanwhile.\nError: ${d.error}`;
    case 'store_recovered':
      return vi
        ? `${head} Kho lưu trữ hoạt động trở lại lúc ${when(d.upAtMs)}, sau ${dur(d.upAtMs - d.downSinceMs)} gián đoạn.`
        : `${head} Object store reachable again at ${when(d.upAtMs)}, after ${dur(d.upAtMs - d.downSinceMs)}.`;
    case 'quota_near':
    case 'quota_unmet': {
      const scope = d.scope === 'store' ? (vi ? 'toàn hệ thống' : 'whole store') : dir.siteName(d.scope) ?? d.scope;
      const pct = d.quotaBytes > 0 ? Math.floor((d.usedBytes / d.quotaBytes) * 100) : 100;
      const used = `${formatBytes(d.usedBytes)} / ${formatBytes(d.quotaBytes)}, ${pct} %`;
      if (d.kind === 'quota_near') {
        return vi ? `${head} Bộ nhớ lưu trữ sắp đầy (${scope}): ${used}.` : `${head} Storage nearly full (${scope}): ${used}.`;
      }
      return vi
        ? `${head} Bộ nhớ lưu trữ đầy (${scope}): ${used}. Phần còn lại là video đang lưu giữ theo hồ sơ nên không bị xoá; vẫn tiếp tục ghi hình.\nCần tăng dung lượng, thêm ổ lưu trữ hoặc giải phóng lưu giữ.`
        : `${head} Storage full (${scope}): ${used}. The rest is footage on legal hold, which is never deleted; recording continues.\nRaise the quota, add storage or release holds.`;
    }
    case 'retention_failed':
      return vi
        ? `${head} Xoá video hết thời hạn lưu trữ bị lỗi lúc ${when(d.sinceMs)}; sẽ thử lại ở lần chạy sau. Xem nhật ký của Vigil.`
        : `${head} Retention run failed at ${when(d.sinceMs)}; it resumes at the next run. See Vigil's log.`;
    case 'retention_recovered':
      return vi
        ? `${head} Xoá video hết thời hạn lưu trữ đã chạy lại bình thường lúc ${when(d.upAtMs)}.`
        : `${head} Retention ran successfully again at ${when(d.upAtMs)}.`;
    case 'daily_report': {
      const title = vi
        ? `${head} Tỷ lệ hoạt động trong giờ hành chính ngày ${formatDate(d.dayStartMs, o.timeZone, 'vi')}:`
        : `${head} Uptime during office hours on ${formatDate(d.dayStartMs, o.timeZone, 'en')}:`;
      const lines = d.sites.map((s) => {
        const name = dir.siteName(s.siteId) ?? (vi ? 'Chưa gán đơn vị' : 'No site');
        const low = s.low.map((c) => `${dir.cameraName(c.cameraId)} ${formatPercent(c.recordedFraction, lang)}`).join(', ');
        return `- ${name}: ${formatPercent(s.recordedFraction, lang)} (${s.cameras} camera)${low ? (vi ? `; dưới 95 %: ${low}` : `; below 95 %: ${low}`) : ''}`;
      });
      if (lines.length === 0) lines.push(vi ? '- Không có camera nào trong phạm vi.' : '- No camera in scope.');
      return `${title}\n${lines.join('\n')}`;
    }
  }
}
