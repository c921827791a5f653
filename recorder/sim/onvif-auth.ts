/**
 * Who may talk to the simulated camera's web server, decided as a camera does:
 * - SOAP: a WS-Security UsernameToken (checked against the camera's own clock, replayed nonces
 *   refused) or, when the request carries none, HTTP Digest/Basic (ONVIF Core §5.12.1 lets
 *   clients use either). A bad token is answered with a fault (HTTP 400); no credentials, or bad
 *   HTTP credentials, with a 401 Digest challenge.
 * - Plain HTTP (the snapshot URL): HTTP Digest, Basic accepted when sent unasked.
 * faults.wrongCredentials refuses every credential. Reasons never carry a credential.
 */
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../../src/clock.ts';
import type { SimCameraSpec } from './camera-spec.ts';
import type { CameraFaults } from './faults.ts';
import { HttpAuthenticator } from './http-digest.ts';
import type { UsernameToken, WsseRejectReason } from './wsse.ts';
import { DEFAULT_CREATED_WINDOW_MS, NonceCache, verifyUsernameToken } from './wsse.ts';

export type AuthFailureReason = WsseRejectReason | 'no-credentials' | 'http-auth-wrong' | 'http-auth-stale';

export type AuthOutcome =
  | { ok: true }
  /** challenge: answer 401 with the WWW-Authenticate value given; otherwise a 400 fault. */
  | { ok: false; reason: AuthFailureReason; challenge?: string };

export interface CameraAuthOptions {
  spec: SimCameraSpec;
  faults: CameraFaults;
  clock: Clock;
  /** UsernameToken Created must be within ± this of the camera clock (wsse.ts). */
  createdWindowMs?: number;
}

export class CameraAuthenticator {
  private readonly nonces: NonceCache;
  private readonly http: HttpAuthenticator;
  private readonly windowMs: number;

  constructor(private readonly opts: CameraAuthOptions) {
    this.windowMs = opts.createdWindowMs ?? DEFAULT_CREATED_WINDOW_MS;
    this.nonces = new NonceCache(this.windowMs);
    this.http = new HttpAuthenticator({ realm: `Vigil Simulator ${opts.spec.id}`, clock: opts.clock });
  }

  /** A SOAP request that needs a user (ONVIF access classes other than pre-auth). */
  soap(req: IncomingMessage, token: UsernameToken | undefined): AuthOutcome {
    if (!token) return this.httpRequest(req);
    const { spec, faults } = this.opts;
    const result = verifyUsernameToken(token, {
      expected: { username: spec.username, password: spec.password },
      cameraNowMs: faults.cameraNowMs(),
      windowMs: this.windowMs,
      rejectAll: faults.get().wrongCredentials,
      nonces: this.nonces,
    });
    return result.ok ? result : { ok: false, reason: result.reason };
  }

  /** A plain HTTP request (snapshot), or a SOAP request without a UsernameToken. */
  httpRequest(req: IncomingMessage): AuthOutcome {
    const { spec, faults } = this.opts;
    const rejectAll = faults.get().wrongCredentials;
    const result = this.http.check(
      { method: req.method ?? 'GET', url: req.url ?? '', authorization: req.headers.authorization },
      { username: spec.username, password: spec.password },
      rejectAll,
    );
    if (result === 'ok') return { ok: true };
    const reason: AuthFailureReason =
      result === 'missing'
        ? 'no-credentials'
        : result === 'stale'
          ? 'http-auth-stale'
          : rejectAll
            ? 'credentials-changed'
            : 'http-auth-wrong';
    return { ok: false, reason, challenge: this.http.challenge(result === 'stale') };
  }
}
