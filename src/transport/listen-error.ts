// A listener that could not bind, said in one line an operator can act on.

export class ListenError extends Error {
  readonly code: 'PORT_IN_USE' | 'LISTEN_FAILED';
  constructor(service: string, host: string, port: number, cause: NodeJS.ErrnoException) {
    const why = cause.code === 'EADDRINUSE' ? 'the port is already in use'
      : cause.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)'
      : cause.message;
    super(`${service} cannot listen on ${host}:${port}: ${why}`);
    this.name = 'ListenError';
    this.code = cause.code === 'EADDRINUSE' ? 'PORT_IN_USE' : 'LISTEN_FAILED';
  }
}
