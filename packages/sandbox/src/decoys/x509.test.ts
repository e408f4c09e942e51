/** The kubeconfig CA certificate must be a real, self-verifying CA certificate. */
import { X509Certificate } from 'node:crypto';
import { seededRandom } from './random.js';
import { selfSignedCaCertificate } from './x509.js';

describe('selfSignedCaCertificate', () => {
  it('parses, verifies under its own key, and carries kubeadm-like fields', () => {
    const notBefore = new Date('2025-03-04T05:06:07Z');
    const notAfter = new Date('2035-03-02T05:06:07Z');
    const pem = selfSignedCaCertificate({ commonName: 'kubernetes', dnsNames: ['kubernetes'], notBefore, notAfter }, seededRandom('ca'));
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n$/);
    const cert = new X509Certificate(pem);
    expect(cert.subject).toBe('CN=kubernetes');
    expect(cert.issuer).toBe('CN=kubernetes');
    expect(cert.ca).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:kubernetes');
    expect(new Date(cert.validFrom).getTime()).toBe(notBefore.getTime());
    expect(new Date(cert.validTo).getTime()).toBe(notAfter.getTime());
    expect(cert.keyUsage).toBeUndefined(); // keyUsage here is Node's *extended* key usage: none set
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
  });

  it('uses GeneralizedTime after 2049 and random serials', () => {
    const options = { commonName: 'kubernetes', dnsNames: [], notBefore: new Date('2049-12-31T00:00:00Z'), notAfter: new Date('2060-01-01T00:00:00Z') };
    const a = new X509Certificate(selfSignedCaCertificate(options, seededRandom('a')));
    const b = new X509Certificate(selfSignedCaCertificate(options, seededRandom('b')));
    expect(new Date(a.validTo).getUTCFullYear()).toBe(2060);
    expect(a.serialNumber).not.toBe(b.serialNumber);
  });
});
