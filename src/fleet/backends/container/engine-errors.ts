import type { EngineAddress } from './engine-address.js';

/** One line naming the engine's address, why it could not be reached, and what to do about it. */
export function describeConnectionError(address: EngineAddress, error: NodeJS.ErrnoException): string {
  const at = `the engine at ${address.text}`;
  switch (address.kind) {
    case 'unix':
      if (error.code === 'ENOENT')
        return `${at} does not answer: no socket at ${address.path}; start the engine (dockerd, or \`podman system service\`) or set DOCKER_HOST to its socket`;
      if (error.code === 'ECONNREFUSED')
        return `${at} does not answer: nothing listens on ${address.path}; start the engine (dockerd, or \`podman system service\`) or set DOCKER_HOST to its socket`;
      if (error.code === 'EACCES' || error.code === 'EPERM')
        return `${at} refused this user: permission denied on ${address.path}; run fleet-mcp as a user allowed on that socket (e.g. in the docker group) or point DOCKER_HOST at one it may use`;
      break;
    case 'tcp':
      if (error.code === 'ECONNREFUSED')
        return `${at} does not answer: nothing listens on ${address.host}:${address.port}; start the engine with a tcp listener there or fix DOCKER_HOST`;
      if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN')
        return `${at} does not answer: host ${address.host} is unknown; fix the host name in DOCKER_HOST`;
      if (error.code === 'ETIMEDOUT')
        return `${at} does not answer: ${error.message}; check that the engine runs and that DOCKER_HOST names it`;
      if (address.tls || /TLS|SSL|certificate/i.test(error.message))
        return `${at} failed the TLS handshake: ${error.message}; check DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) and DOCKER_TLS_VERIFY`;
      break;
    case 'ssh':
      return `${at} does not answer over ssh: ${error.message}; check that \`ssh ${address.user ? `${address.user}@` : ''}${address.host} docker version\` works without a password prompt`;
  }
  return `${at} does not answer: ${error.message}; check that the engine runs and that DOCKER_HOST names it`;
}
