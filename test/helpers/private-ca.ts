// A private CA for tests, made with Debian's openssl (as an installer would):
// the CA's key and certificate, and certificates it signs for given addresses.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PrivateCa {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  /** Signs a new key's certificate for the given IP addresses and DNS names. */
  issue(name: string, ips: string[], dns?: string[]): { cert: string; key: string };
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

export function makePrivateCa(dir: string, name = 'Test Installation CA'): PrivateCa {
  mkdirSync(dir, { recursive: true });
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.pem');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', caKey, '-out', caCert], dir);
  return {
    dir, caCert, caKey,
    issue(board, ips, dns = []) {
      const key = join(dir, `${board}.key`);
      const csr = join(dir, `${board}.csr`);
      const cert = join(dir, `${board}.pem`);
      const ext = join(dir, `${board}.ext`);
      const san = [...ips.map((ip) => `IP:${ip}`), ...dns.map((d) => `DNS:${d}`)].join(',');
      writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`);
      openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${board}`, '-keyout', key, '-out', csr], dir);
      openssl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', cert], dir);
      return { cert, key };
    },
  };
}
