/**
 * api-versions each resource provider accepts: every published version of the resource type (ARM answers 400
 * InvalidApiVersionParameter for others), not only the ones the installed SDKs send.
 */

/**
 * `Microsoft.DBforPostgreSQL/flexibleServers` and its child resources, from the package tags of
 * Azure/azure-rest-api-specs specification/postgresql/resource-manager/readme.md (stable and public preview).
 */
export const POSTGRES_API_VERSIONS = [
  '2026-04-01-preview',
  '2026-01-01-preview',
  '2025-08-01',
  '2025-06-01-preview',
  '2025-01-01-preview',
  '2024-11-01-preview',
  '2024-08-01',
  '2024-03-01-preview',
  '2023-12-01-preview',
  '2023-06-01-preview',
  '2023-03-01-preview',
  '2022-12-01',
  '2022-03-08-preview',
  '2022-01-20-preview',
  '2021-06-01',
  '2021-06-01-preview',
] as const;

/** `Microsoft.Resources` (tags at scope). */
export const RESOURCES_API_VERSIONS = [
  '2025-04-01',
  '2025-03-01',
  '2024-11-01',
  '2024-07-01',
  '2024-03-01',
  '2023-07-01',
  '2022-09-01',
  '2021-04-01',
  '2021-01-01',
  '2020-10-01',
  '2020-06-01',
  '2019-10-01',
] as const;
/** `Microsoft.Authorization/locks`. */
export const LOCKS_API_VERSIONS = ['2020-05-01', '2016-09-01'] as const;
/** `Microsoft.Insights/eventtypes/management/values`. */
export const ACTIVITY_LOG_API_VERSIONS = ['2015-04-01'] as const;

/**
 * `Microsoft.DBforMySQL/flexibleServers` and its child resources, from the package-flexibleserver tags of
 * Azure/azure-rest-api-specs specification/mysql/resource-manager/readme.md (stable and public preview).
 * `network.publicNetworkAccess` is read-only before 2023-12-30 (MYSQL_PUBLIC_ACCESS_WRITABLE_FROM).
 */
export const MYSQL_API_VERSIONS = [
  '2024-12-30',
  '2024-10-01-preview',
  '2024-06-01-preview',
  '2024-02-01-preview',
  '2023-12-30',
  '2023-12-01-preview',
  '2023-10-01-preview',
  '2023-06-30',
  '2023-06-01-preview',
  '2022-09-30-preview',
  '2022-01-01',
  '2021-12-01-preview',
  '2021-05-01',
  '2021-05-01-preview',
  '2020-07-01-preview',
] as const;

/** The first MySQL api-version whose PATCH may change `network.publicNetworkAccess`. */
export const MYSQL_PUBLIC_ACCESS_WRITABLE_FROM = '2023-12-30';

/**
 * `Microsoft.Sql` (logical servers, firewall rules, databases, database operations): the api-version folders of
 * Azure/azure-rest-api-specs specification/sql/resource-manager/Microsoft.Sql, for every resource type alike (the
 * emulator does not check which resource type each version publishes).
 */
export const SQL_API_VERSIONS = [
  '2024-05-01-preview',
  '2023-08-01',
  '2023-08-01-preview',
  '2023-05-01-preview',
  '2023-02-01-preview',
  '2022-11-01-preview',
  '2022-08-01-preview',
  '2022-05-01-preview',
  '2022-02-01-preview',
  '2021-11-01',
  '2021-11-01-preview',
  '2021-08-01-preview',
  '2021-05-01-preview',
  '2021-02-01-preview',
  '2020-11-01-preview',
  '2020-08-01-preview',
  '2020-02-02-preview',
  '2019-06-01-preview',
  '2018-06-01-preview',
  '2017-10-01-preview',
  '2017-03-01-preview',
  '2015-05-01-preview',
  '2014-04-01',
] as const;
