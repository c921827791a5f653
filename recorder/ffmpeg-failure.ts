import type { FailureReason } from './watchdog.ts';
import { redactText } from '../src/redact.ts';

/**
 * Why an ffmpeg run ended, read from its last stderr lines, in words an operator can act on.
 * Pure; the lines are redacted before they become the detail (ffmpeg prints the input URL,
 * credentials included).
 */
const RULES: Array<{ re: RegExp; reason: FailureReason; say: string }> = [
  { re: /401 Unauthorized|403 Forbidden|authori[sz]ation failed/i, reason: 'auth_failed', say: 'the camera rejected the user name or password; check the credentials set for this camera' },
  { re: /Connection refused/i, reason: 'camera_unreachable', say: 'the camera refused the connection (is it on, and is the RTSP port right?)' },
  { re: /timed out|Timeout|No route to host|Network is unreachable|Host is unreachable|Name or service not known|Temporary failure in name resolution/i, reason: 'camera_unreachable', say: 'the camera does not answer on the network (cable, power, address?)' },
  { re: /404 Not Found|method DESCRIBE failed/i, reason: 'stream_error', say: 'the camera has no stream at that path; check the stream URL or profile' },
  { re: /Connection reset by peer|End of file|Broken pipe|Invalid data found/i, reason: 'stream_error', say: 'the camera closed the stream' },
  { re: /No space left on device/i, reason: 'stream_error', say: 'the spool disk is full' },
];

export interface RunFailure {
  reason: FailureReason;
  /** A short, redacted explanation for logs, events and the UI. */
  detail: string;
}

export function classifyExit(stderrTail: readonly string[], exit: { code: number | null; signal: string | null }): RunFailure {
  const text = stderrTail.join('\n');
  for (const rule of RULES) {
    if (rule.re.test(text)) {
      const line = stderrTail.find((l) => rule.re.test(l)) ?? '';
      return { reason: rule.reason, detail: `${rule.say}: ${redactText(line.trim()).slice(0, 200)}` };
    }
  }
  const how = exit.signal ? `stopped by ${exit.signal}` : `exited with code ${exit.code}`;
  const last = redactText(stderrTail.filter((l) => l.trim() && !/^\s*frame=|^\s*size=/.test(l)).slice(-1)[0] ?? '').slice(0, 200);
  return { reason: 'stream_error', detail: `ffmpeg ${how}${last ? `: ${last}` : ''}` };
}
