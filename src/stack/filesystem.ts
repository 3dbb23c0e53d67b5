import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { basename, dirname } from 'node:path'

/** The filesystem a path lives on (Linux: /proc/self/mountinfo). */
export interface FilesystemInfo {
  mountPoint: string
  type: string
  /** What is mounted there: a device (`/dev/vda`), `tmpfs`, … */
  source: string
  /** ext4 only: whether it keeps a journal (a `/proc/fs/jbd2/<device>-*` entry); undefined when not known. */
  journaled?: boolean
}

/** A mount as /proc/self/mountinfo lists it (no journal known yet). */
export type Mount = Omit<FilesystemInfo, 'journaled'>

/** One line of /proc/self/mountinfo: `id parent major:minor root mountpoint options [optional…] - type source super`. */
export function parseMountInfoLine(line: string): Mount | null {
  const fields = line.split(' ')
  const separator = fields.indexOf('-', 6)
  const mountPoint = fields[4]
  const type = fields[separator + 1]
  const source = fields[separator + 2]
  if (separator < 0 || mountPoint === undefined || type === undefined || source === undefined) return null
  // Spaces and other characters in paths are octal escapes (\040).
  const unescape = (text: string) =>
    text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
  return { mountPoint: unescape(mountPoint), type, source: unescape(source) }
}

/** The mount whose mount point is the longest prefix of `path` (an absolute, resolved path). */
export function mountOf(mounts: Mount[], path: string): Mount | null {
  let best: Mount | null = null
  for (const mount of mounts) {
    const prefix = mount.mountPoint.endsWith('/') ? mount.mountPoint : `${mount.mountPoint}/`
    const inside = path === mount.mountPoint || path.startsWith(prefix)
    // The later of two mounts on the same point hides the earlier one.
    if (inside && (!best || mount.mountPoint.length >= best.mountPoint.length)) best = mount
  }
  return best
}

/**
 * The filesystem `path` (or its nearest existing parent) is on; null off Linux or when /proc cannot be read.
 * For ext4 it also tells whether the filesystem keeps a journal, when the kernel's /proc/fs entries say so.
 */
export function filesystemOf(path: string, proc = '/proc'): FilesystemInfo | null {
  try {
    let existing = path
    while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing)
    const resolved = realpathSync(existing)
    const mounts = readFileSync(`${proc}/self/mountinfo`, 'utf8')
      .split('\n')
      .map(parseMountInfoLine)
      .filter((m): m is Mount => m !== null)
    const mount = mountOf(mounts, resolved)
    if (!mount) return null
    if (mount.type !== 'ext4') return mount
    const device = basename(mount.source)
    // /proc/fs/ext4/<device> names the filesystem as the kernel does; jbd2 lists the journaled ones as <device>-<inode>.
    if (!existsSync(`${proc}/fs/ext4/${device}`)) return mount
    const journals = existsSync(`${proc}/fs/jbd2`) ? readdirSync(`${proc}/fs/jbd2`) : []
    return { ...mount, journaled: journals.some((name) => name.startsWith(`${device}-`)) }
  } catch {
    return null
  }
}

/**
 * A warning when ClickHouse's data directory is on an ext4 filesystem without a journal, else null. There ext4
 * looks past every recently deleted inode of a block group before it reuses one (fs/ext4/ialloc.c,
 * `recently_deleted`, checked only without a journal), and ClickHouse creates and deletes files by the
 * thousand (~25 per part): measured on this project's VM, a 300-row insert went from 0.5 to 11 ms of system CPU
 * within a minute of inserts, against a steady 0.5 ms on a journaled ext4 (docs/local-stack.md).
 */
export function journalLessWarning(dataDir: string, info = filesystemOf(dataDir)): string | null {
  if (!info || info.type !== 'ext4' || info.journaled !== false) return null
  return (
    `ClickHouse's data (${dataDir}) is on an ext4 filesystem without a journal (${info.source} on ${info.mountPoint}). ` +
    'There every file ClickHouse creates makes the kernel look past the recently deleted ones, and ClickHouse ' +
    'creates and deletes thousands: its inserts and merges cost several times the CPU they would on a journaled ' +
    'filesystem. Fine for trying tickbridge; for measuring, put TICKBRIDGE_HOME on ext4 with a journal, XFS or tmpfs ' +
    '(docs/local-stack.md#clickhouse-on-ext4-without-a-journal).'
  )
}
