// What to do when the gateway cannot listen: a taken port names the variable that picks another.

/** A sentence for a listen failure, or undefined when the error is not one. */
export function explainListenError(error: unknown, host: string, port: number): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE')
    return `port ${port} on ${host} is already taken: set RESCIND_PORT to another port (RESCIND_PORT=8090), or to 0 for any free one`;
  if (code === 'EACCES')
    return `port ${port} on ${host} needs privileges: set RESCIND_PORT to a port above 1023`;
  if (code === 'EADDRNOTAVAIL')
    return `${host} is no address of this machine: set RESCIND_HOST to one (127.0.0.1, or 0.0.0.0 for all)`;
  return undefined;
}
