import { ErrorCodes, TickbridgeError } from './errors.ts'

/** The one wording of a taken port, for the local stack's servers, the hub and the simulators. */
export function portInUse(port: number, host: string, what: string, hint: string): TickbridgeError {
  return new TickbridgeError(
    ErrorCodes.PORT_IN_USE,
    `Port ${port} on ${host} is in use by another process, so ${what} cannot listen there.`,
    { hint }
  )
}
