import { describe, expect, it } from 'vitest';
import { errorCodeOf, isMissingObject, minioError, type MinioPlace } from '../../src/store/minio-errors.ts';
import { VigilError } from '../../src/errors.ts';

const place: MinioPlace = { endPoint: '10.0.0.5', port: 9000, bucket: 'vigil', accessKey: 'vigil-user', secretKey: 'S3cr3t-Key-42', requestTimeoutMs: 10_000 };
const err = (code: string, message = `${code} happened`) => Object.assign(new Error(message), { code });

describe('minio errors in plain words', () => {
  it.each([
    ['connection refused', err('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:9000'), 'store_unavailable', /^object store at 10\.0\.0\.5:9000 does not answer \(ECONNREFUSED\) during upload of k; is MinIO running/],
    ['happy-eyeballs aggregate', Object.assign(new AggregateError([err('ECONNREFUSED'), err('ECONNREFUSED')], ''), {}), 'store_unavailable', /does not answer \(ECONNREFUSED\)/],
    ['socket hang up', new Error('socket hang up'), 'store_unavailable', /does not answer \(ECONNRESET\)/],
    ['idle timeout', err('ETIMEDOUT', 'no answer within 10000 ms'), 'store_unavailable', /did not answer within 10000 ms during upload of k/],
    ['unresolvable name', err('ENOTFOUND'), 'store_unavailable', /name 10\.0\.0\.5 cannot be resolved \(ENOTFOUND\).*storage\.minio\.endPoint/],
    ['bad certificate', err('DEPTH_ZERO_SELF_SIGNED_CERT'), 'store_unavailable', /TLS connection failed.*useSSL/],
    ['wrong access key', err('InvalidAccessKeyId', 'The Access Key Id you provided does not exist in our records.'), 'store_unavailable', /refused Vigil's credentials \(InvalidAccessKeyId\).*accessKey and secretKey/],
    ['wrong secret', err('SignatureDoesNotMatch'), 'store_unavailable', /refused Vigil's credentials \(SignatureDoesNotMatch\)/],
    ['bucket gone', err('NoSuchBucket'), 'store_unavailable', /bucket "vigil" does not exist/],
    ['range past the end', err('InvalidRange'), 'range_not_satisfiable', /starts past the end/],
    ['anything else', err('SlowDown', 'Please reduce your request rate.'), 'store_unavailable', /failed during upload of k: SlowDown: Please reduce your request rate\./],
  ])('%s', (_why, e, code, message) => {
    const v = minioError(e, place, 'upload of k');
    expect(v).toBeInstanceOf(VigilError);
    expect(v.code).toBe(code);
    expect(v.message).toMatch(message);
    expect(v.cause).toBe(e);
  });

  it('never lets a credential through, whatever the error says', () => {
    const leaky = new Error(`request to http://vigil-user:S3cr3t-Key-42@10.0.0.5:9000 failed: secret=S3cr3t-Key-42 key S3cr3t-Key-42`);
    const v = minioError(leaky, place, 'listing');
    expect(v.message).not.toContain('S3cr3t-Key-42');
    expect(v.message).not.toContain('vigil-user');
    expect(v.message).toContain('10.0.0.5:9000');
  });

  it('passes a VigilError through unchanged', () => {
    const v = new VigilError('not_found', 'x');
    expect(minioError(v, place, 'y')).toBe(v);
  });

  it.each([
    [err('NoSuchKey'), true],
    [err('NotFound'), true],
    [err('NoSuchBucket'), true],
    [err('AccessDenied'), false],
    [new Error('boom'), false],
  ])('%o is a missing object: %s', (e, missing) => {
    expect(isMissingObject(e)).toBe(missing);
  });

  it('finds the code inside an AggregateError', () => {
    expect(errorCodeOf(new AggregateError([new Error('x'), err('EHOSTUNREACH')]))).toBe('EHOSTUNREACH');
    expect(errorCodeOf(null)).toBeUndefined();
  });
});
