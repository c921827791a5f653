import { VigilError } from '../src/errors.ts';
import { redactText } from '../src/redact.ts';

/** Authentication windows of cameras are usually ±5 minutes; beyond it digest auth fails. */
export const MAX_AUTH_SKEW_MS = 5 * 60_000;

/** Network failures by errno code or by the words Node and the ONVIF library use. */
const UNREACHABLE = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|timed out|timeout|socket hang up|ECONNRESET/i;

/**
 * A rejected login: the SOAP fault ter:NotAuthorized, the ONVIF library's "Digest
 * authentication failed 401", or an HTTP status 401 standing alone. A 401 inside an address
 * is not one: "connect ECONNREFUSED 127.0.0.1:40181" once read as a wrong password, which
 * parks the camera on the 5-minute auth retry instead of reconnecting within seconds.
 */
const REJECTED = /NotAuthorized|not authori[sz]ed|authentication failed|(?<![\w.:/-])401(?![\w:]|\.\d)/i;

/**
 * What went wrong while talking ONVIF to a camera, as a typed error an operator can act on.
 * Pure: the message is redacted first (the library may echo credentials).
 * clockOffsetMs: the camera's clock minus ours when known; a rejected login with a clock far
 * off is a clock problem, not a password problem.
 */
export function asOnboardingError(e: unknown, where: string, clockOffsetMs?: number): VigilError {
  if (e instanceof VigilError) return e;
  const msg = redactText(String((e as Error)?.message ?? e));
  const code = String((e as NodeJS.ErrnoException)?.code ?? '');
  // The errno code decides first: a refused or reset connection is never a wrong password,
  // whatever digits its message carries.
  const rejected = REJECTED.test(msg);
  if (UNREACHABLE.test(code) || (!rejected && UNREACHABLE.test(msg))) {
    return new VigilError('camera_unreachable', `Camera at ${where} does not answer ONVIF (${code || msg.slice(0, 80)}). Check the address and port, the network, and that ONVIF is enabled on the camera.`);
  }
  if (rejected) {
    if (clockOffsetMs !== undefined && Math.abs(clockOffsetMs) > MAX_AUTH_SKEW_MS) {
      return new VigilError('camera_clock_skew', `Camera at ${where} rejected the login and its clock is ${Math.round(clockOffsetMs / 60_000)} min off ours. Set the camera's time (enable NTP), then try again.`, { clockOffsetMs });
    }
    return new VigilError('camera_auth_failed', `Camera at ${where} rejected the user name or password. Check the credentials (and that the ONVIF user exists on the camera).`);
  }
  return new VigilError('camera_unreachable', `Onboarding the camera at ${where} failed: ${msg.slice(0, 200)}`);
}
