import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";

/** A process as a holder of a lease or a lock: host, pid, and where that pid means this process. */
export interface ProcessIdentity {
  host: string;
  pid: number;
  /** Boot id and pid namespace: a pid is only comparable with one from the same scope. */
  pidScope?: string;
}

/** This process. */
export function processIdentity(): ProcessIdentity {
  const read = (f: () => string) => {
    try {
      return f().trim();
    } catch {
      return "";
    }
  };
  const boot = read(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8"));
  const namespace = read(() => readlinkSync("/proc/self/ns/pid"));
  return { host: hostname(), pid: process.pid, ...(boot && namespace ? { pidScope: `${boot} ${namespace}` } : {}) };
}

/** A holder on this machine, in this pid namespace, whose process no longer exists (killed, crashed). */
export function goneHere(holder: ProcessIdentity, me: ProcessIdentity = processIdentity()): boolean {
  if (holder.host !== me.host || holder.pidScope !== me.pidScope || holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
