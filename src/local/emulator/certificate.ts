import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface LoopbackCertificate {
  readonly keyPem: string;
  readonly certPem: string;
  readonly certPath: string;
  dispose(): Promise<void>;
}

/**
 * A self-signed P-256/SHA-256 certificate for localhost, 127.0.0.1 and ::1, written to a temp file so other
 * processes can trust it. It is its own CA: clients pass it as `tlsOptions.ca`.
 */
export async function createLoopbackCertificate(): Promise<LoopbackCertificate> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'pitr-warden local Azure emulator' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60 * 60 * 1000),
    notAfterDate: new Date(now + 30 * 24 * 60 * 60 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  const dir = await mkdtemp(join(tmpdir(), 'pitr-warden-emulator-'));
  const certPath = join(dir, 'emulator-ca.pem');
  await writeFile(certPath, pems.cert, 'utf8');
  return {
    keyPem: pems.private,
    certPem: pems.cert,
    certPath,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
