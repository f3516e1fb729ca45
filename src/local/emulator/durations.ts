/**
 * How long operations take in Azure (Azure time, in ms); the emulator's clock scales them (`timeScale`).
 * "Measured" values come from traffic recorded against Azure by other projects' test suites; the others are invented
 * and say so in the README.
 */
export const AZURE_DURATIONS_MS = {
  /** PostgreSQL flexible server, point-in-time restore of a small server: 6-7 minutes (measured). */
  pgRestore: 390_000,
  /**
   * Each GB of data a restore brings back adds this much (invented, from a drill report of a seed: 41 minutes for
   * 320 GB, less the 6.5 minutes of a small restore). Only servers with a data plane have a known size.
   */
  pgRestorePerGb: 6_500,
  /** Create of a new server (invented: a little less than a restore). */
  pgCreate: 300_000,
  /** PATCH or PUT of an existing server (invented). */
  pgUpdate: 60_000,
  /** Stop: about 3 minutes (measured). */
  pgStop: 180_000,
  /** Start (invented: as long as a stop). */
  pgStart: 180_000,
  /** Restart (invented). */
  pgRestart: 120_000,
  /** Delete: about 1 minute (measured). */
  pgDelete: 60_000,
  /** Firewall rule create/update or delete (invented). */
  pgFirewallRule: 30_000,
  /**
   * From Ready to the first full backup, before which a server has no `backup.earliestRestoreDate` (invented; Microsoft's
   * ServersGet example shows earliestRestoreDate 5 minutes after createdAt).
   */
  pgFirstBackup: 300_000,
  /** ACS Email, from accepted to delivered (invented). */
  emailSend: 5_000,
} as const;

/**
 * SQL Database (all invented: the recorded traffic has none). A point-in-time restore of a small database takes minutes;
 * delete, about half a minute; the first backup of a new database (before which it has no `earliestRestoreDate`) follows
 * within minutes.
 */
export const SQL_DURATIONS_MS = {
  sqlRestore: 600_000,
  sqlDelete: 30_000,
  sqlFirstBackup: 300_000,
} as const;

/** How long a point-in-time restore of a source holding `bytes` of data takes in Azure (unknown size: a small one). */
export function restoreDurationMs(bytes: number | undefined): number {
  return AZURE_DURATIONS_MS.pgRestore + Math.round(((bytes ?? 0) / 1024 ** 3) * AZURE_DURATIONS_MS.pgRestorePerGb);
}
