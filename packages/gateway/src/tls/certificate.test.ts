import { X509Certificate, createPrivateKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority } from './certificate.js';

describe('createCertificateAuthority', () => {
  const ca = createCertificateAuthority({ commonName: 'Example Root CA', organization: 'Example Org' });

  it('makes a self-signed CA certificate that is marked as a CA', () => {
    const cert = new X509Certificate(ca.cert);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('O=Example Org\nCN=Example Root CA');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(Date.now());
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now() + 300 * 86400_000);
  });

  it('issues host certificates signed by the CA, for names and addresses', () => {
    const root = new X509Certificate(ca.cert);
    for (const [host, san] of [
      ['registry.example', 'DNS:registry.example'],
      ['10.1.2.3', 'IP Address:10.1.2.3'],
      ['2001:db8::1', 'IP Address:2001:DB8:0:0:0:0:0:1'],
      ['::ffff:10.0.0.1', 'IP Address:0:0:0:0:0:FFFF:A00:1'],
    ] as const) {
      const issued = ca.issue(host);
      const leaf = new X509Certificate(issued.cert);
      expect(leaf.ca).toBe(false);
      expect(leaf.subjectAltName).toBe(san);
      expect(leaf.checkIssued(root)).toBe(true);
      expect(leaf.verify(root.publicKey)).toBe(true);
      expect(leaf.checkPrivateKey(createPrivateKey(issued.key))).toBe(true);
      expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    }
  });

  it('makes a new key and serial every time', () => {
    const other = createCertificateAuthority({ commonName: 'Example Root CA' });
    const a = new X509Certificate(ca.cert);
    const b = new X509Certificate(other.cert);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.fingerprint256).not.toBe(b.fingerprint256);
    expect(a.publicKey.export({ type: 'spki', format: 'pem' })).not.toBe(b.publicKey.export({ type: 'spki', format: 'pem' }));
    // A serial must be positive and at most 20 octets (RFC 5280 §4.1.2.2).
    expect(a.serialNumber.length).toBeLessThanOrEqual(40);
    expect(parseInt(a.serialNumber.slice(0, 2), 16) & 0x80).toBe(0);
  });

  it('is accepted by a TLS client that trusts only the CA, and refused for another name', async () => {
    const issued = ca.issue('registry.example');
    const server = createServer({ cert: issued.cert, key: issued.key }, (socket) => socket.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const attempt = (servername: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, servername, ca: ca.cert }, () => socket.once('data', (data) => resolve(data.toString())));
        socket.once('error', reject);
      });
    try {
      await expect(attempt('registry.example')).resolves.toBe('hello');
      await expect(attempt('other.example')).rejects.toThrow(/altnames|does not match/i);
    } finally {
      server.close();
    }
  });

  it('verifies with openssl against the CA alone, strict checks included', () => {
    let hasOpenssl = true;
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
    } catch {
      hasOpenssl = false;
    }
    if (!hasOpenssl) return;
    const dir = mkdtempSync(join(tmpdir(), 'ca-test-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), ca.cert);
      writeFileSync(join(dir, 'leaf.pem'), ca.issue('registry.example').cert);
      const out = execFileSync('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-verify_hostname', 'registry.example', '-CAfile', join(dir, 'ca.pem'), join(dir, 'leaf.pem')], { encoding: 'utf8' });
      expect(out).toMatch(/leaf\.pem: OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
