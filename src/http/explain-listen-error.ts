// What to do when the gateway cannot listen: a taken port names the variable that picks another.

/** A sentence for a listen failure (Node's error carries the address and port), or undefined. */
export function explainListenError(error: unknown): string | undefined {
  const { code, address, port } = (error ?? {}) as NodeJS.ErrnoException & {
    address?: string;
    port?: number;
  };
  const where = `${address ?? 'this address'}:${port ?? '?'}`;
  if (code === 'EADDRINUSE')
    return `${where} is already taken: set RESCIND_PORT to another port (RESCIND_PORT=8090), or to 0 for any free one`;
  if (code === 'EACCES') return `${where} needs privileges: set RESCIND_PORT to a port above 1023`;
  if (code === 'EADDRNOTAVAIL')
    return `${address ?? 'the address'} is no address of this machine: set RESCIND_HOST to one (127.0.0.1, or 0.0.0.0 for all)`;
  return undefined;
}
