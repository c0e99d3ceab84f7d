import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** PEM-encoded serving material, named as cert-manager and `kubernetes.io/tls` Secrets name it. */
export interface ServingCert {
  'ca.crt': string;
  'tls.crt': string;
  'tls.key': string;
}

/**
 * A CA and a serving certificate it signs, for the discovery endpoint when no certificate is given.
 * Keys come from Node's native RSA generation (fast); node-forge only builds and signs the X.509.
 */
export function generateServingCert(
  dnsNames: readonly string[],
  validDays = 3650,
  now = new Date(),
): ServingCert {
  const notAfter = new Date(now.getTime() + validDays * 86_400_000);
  const caKeys = rsaKeys();
  const ca = certificate(caKeys.publicKey, now, notAfter, [
    { name: 'commonName', value: 'tollgate-discovery-ca' },
  ]);
  ca.setIssuer(ca.subject.attributes);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const leafKeys = rsaKeys();
  const leaf = certificate(leafKeys.publicKey, now, notAfter, [
    { name: 'commonName', value: dnsNames[0] ?? 'tollgate' },
  ]);
  leaf.setIssuer(ca.subject.attributes);
  leaf.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: dnsNames.map((d) => (/^[\d.]+$/.test(d) ? { type: 7, ip: d } : { type: 2, value: d })),
    },
  ]);
  leaf.sign(caKeys.privateKey, forge.md.sha256.create());
  return {
    'ca.crt': forge.pki.certificateToPem(ca),
    'tls.crt': forge.pki.certificateToPem(leaf),
    'tls.key': forge.pki.privateKeyToPem(leafKeys.privateKey),
  };
}

/** The names a proxy may dial the controller by: its Service in every DNS form, and loopback. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
    'localhost',
    '127.0.0.1',
  ];
}

function rsaKeys(): { publicKey: forge.pki.rsa.PublicKey; privateKey: forge.pki.rsa.PrivateKey } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
  };
}

function certificate(
  publicKey: forge.pki.rsa.PublicKey,
  notBefore: Date,
  notAfter: Date,
  subject: forge.pki.CertificateField[],
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // Positive serial: a leading 0 nibble keeps the DER integer from being read as negative.
  cert.serialNumber = `0${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject(subject);
  return cert;
}
