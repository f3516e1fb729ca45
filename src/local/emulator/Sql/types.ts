import type { ArmFirewallRule } from '../types.js';
import type { SystemData, Tags } from '../types.js';

/** SQL Database payload shapes as the REST API returns them (api 2022-08-01-preview, what @azure/arm-sql 10.0.0 sends). */

/** A logical server (`Microsoft.Sql/servers`): it owns the network of every database on it. */
export interface ArmSqlServer {
  id: string;
  name: string;
  type: string;
  location: string;
  kind?: string;
  tags?: Tags;
  properties: {
    administratorLogin?: string;
    version?: string;
    state?: string;
    fullyQualifiedDomainName?: string;
    publicNetworkAccess?: string;
    minimalTlsVersion?: string;
    restrictOutboundNetworkAccess?: string;
    [property: string]: unknown;
  };
  [property: string]: unknown;
}

/** A database (`Microsoft.Sql/servers/databases`). Its GET shows `creationDate` but no source or restore point. */
export interface ArmDatabase {
  id: string;
  name: string;
  type: string;
  location: string;
  kind?: string;
  tags?: Tags;
  sku?: { name: string; tier?: string; capacity?: number; family?: string };
  systemData?: SystemData;
  properties: {
    collation?: string;
    maxSizeBytes?: number;
    status?: string;
    databaseId?: string;
    creationDate?: string;
    currentServiceObjectiveName?: string;
    requestedServiceObjectiveName?: string;
    earliestRestoreDate?: string;
    [property: string]: unknown;
  };
  [property: string]: unknown;
}

/** A logical server's firewall rule: the same shape as a flexible server's. */
export type ArmSqlFirewallRule = ArmFirewallRule;
