/**
 * A throwaway TLS certificate for tests of the relay's own TLS (https and wss). Made with the
 * system's openssl, which the test machines have (Debian). Used only by tests.
 */
/** A self-signed certificate for localhost and 127.0.0.1 (PEM), made with the system's openssl. */
export async function selfSignedCertificate(): Promise<{ cert: string; key: string }> {
  const dir = await Deno.makeTempDir({ prefix: 'wardline-tls-' })
  try {
    const out = await new Deno.Command('openssl', {
      args: [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-addext', 'basicConstraints=critical,CA:FALSE',
      ],
      stdout: 'null',
      stderr: 'piped',
    }).output()
    if (!out.success) throw new Error(`openssl failed: ${new TextDecoder().decode(out.stderr)}`)
    return {
      cert: await Deno.readTextFile(`${dir}/cert.pem`),
      key: await Deno.readTextFile(`${dir}/key.pem`),
    }
  } finally {
    await Deno.remove(dir, { recursive: true })
  }
}
