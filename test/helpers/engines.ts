import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The private daemons live in scripts/engines.mjs, which `npm run bench:backends` starts too.
export {
  ENGINES_APT_LINE,
  FAKE_IMAGE,
  HOST_USR,
  freePort,
  importFakeImage,
  initSwarm,
  missingEngine,
  startDockerd,
  startPodman,
  type PrivateEngine,
  type TlsListener,
} from '../../scripts/engines.mjs';

/**
 * A CA, a server certificate for 127.0.0.1 and a client certificate, in one folder: ca.pem, cert.pem and key.pem as
 * DOCKER_CERT_PATH has them for the client, server-cert.pem and server-key.pem for dockerd.
 */
export function makeTlsCerts(dir: string): string {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...key, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=fleet-test-ca']);
  const sign = (name: string, cn: string, ext: string, cert: string, keyFile: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    run(['req', ...key, '-keyout', keyFile, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    run([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    ]);
  };
  sign(
    'server',
    '127.0.0.1',
    'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
    'server-cert.pem',
    'server-key.pem',
  );
  sign('client', 'fleet-test-client', 'extendedKeyUsage=clientAuth\n', 'cert.pem', 'key.pem');
  return dir;
}
