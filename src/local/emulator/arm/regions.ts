/** Azure regions: the ARM name (`canadacentral`, in ids and URLs) and the display name GET returns (`Canada Central`). */
const DISPLAY_NAMES = [
  'East US', 'East US 2', 'West US', 'West US 2', 'West US 3', 'Central US', 'North Central US', 'South Central US', 'West Central US',
  'Canada Central', 'Canada East', 'Brazil South', 'Brazil Southeast', 'Mexico Central', 'Chile Central',
  'North Europe', 'West Europe', 'UK South', 'UK West', 'France Central', 'France South', 'Germany West Central', 'Germany North',
  'Switzerland North', 'Switzerland West', 'Norway East', 'Norway West', 'Sweden Central', 'Sweden South', 'Poland Central',
  'Italy North', 'Spain Central', 'Austria East', 'Belgium Central',
  'East Asia', 'Southeast Asia', 'Japan East', 'Japan West', 'Korea Central', 'Korea South', 'Central India', 'South India',
  'West India', 'Jio India West', 'Jio India Central', 'Indonesia Central', 'Malaysia West', 'New Zealand North',
  'Australia East', 'Australia Southeast', 'Australia Central', 'Australia Central 2',
  'UAE North', 'UAE Central', 'Qatar Central', 'Israel Central', 'South Africa North', 'South Africa West',
];

/** `Canada Central`, `canadacentral` or `CanadaCentral` -> `canadacentral`. */
export const regionName = (location: string): string => location.toLowerCase().replace(/\s+/g, '');

const BY_NAME = new Map(DISPLAY_NAMES.map((display) => [regionName(display), display]));

/** The display name ARM answers in `location` (`Canada Central`); an unknown region keeps its name. */
export const regionDisplayName = (location: string): string => BY_NAME.get(regionName(location)) ?? location;
