/**
 * Counts the connections of each client address that have not logged in yet, so one address
 * cannot hold thousands of sockets open without a device key (issue 4: "unauthenticated
 * connections per address, limited and timed out"; the timeout is the session's 4008).
 */
export class AddressGate {
  private readonly counts = new Map<string, number>()

  /** `max` 0 disables the limit. */
  constructor(private readonly max: number) {}

  /** A release function to call once the connection logs in or closes, or null when full. */
  tryEnter(address: string): (() => void) | null {
    const n = this.counts.get(address) ?? 0
    if (this.max > 0 && n >= this.max) return null
    this.counts.set(address, n + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (this.counts.get(address) ?? 1) - 1
      if (left <= 0) this.counts.delete(address)
      else this.counts.set(address, left)
    }
  }

  count(address: string): number {
    return this.counts.get(address) ?? 0
  }
}
