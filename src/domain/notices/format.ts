import type { CostEstimate, PriceSourceInfo } from '../cost.js';

/** `2026-11-22 09:00 UTC`; the input as given when it does not parse; '' for undefined. */
export function displayUtc(iso: string | undefined): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return new Date(t)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d{2}\.\d{3}Z$/, ' UTC');
}

/** `USD 12.34` */
export function money(amount: number, currency: string): string {
  return `${currency} ${amount.toFixed(2)}`;
}

export function daysLeftText(daysLeft: number | undefined): string {
  if (daysLeft === undefined) return '';
  if (daysLeft < 0) return 'expired';
  if (daysLeft === 0) return 'less than a day left';
  return daysLeft === 1 ? '1 day left' : `${daysLeft} days left`;
}

/** Sums known costs per currency: `USD 12.34` (or `USD 1.00 + EUR 2.00`); '' when none is known. */
export function totalOf(
  costs: readonly CostEstimate[],
  pick: (cost: Extract<CostEstimate, { known: true }>) => number | undefined,
): string {
  const sums = new Map<string, number>();
  for (const cost of costs) {
    const value = cost.known ? pick(cost) : undefined;
    if (cost.known && value !== undefined) sums.set(cost.currency, (sums.get(cost.currency) ?? 0) + value);
  }
  return [...sums.entries()].map(([currency, sum]) => money(sum, currency)).join(' + ');
}

/** Names every price source used, e.g. "the Azure Retail Prices API (list prices fetched 2026-11-22 09:00 UTC)". */
export function describePriceSources(sources: readonly (PriceSourceInfo | undefined)[]): string {
  const seen = new Map<string, string>();
  for (const source of sources) {
    if (!source) continue;
    const text =
      source.kind === 'retail-prices-api'
        ? `the Azure Retail Prices API (list prices fetched ${displayUtc(source.asOf)})`
        : `the price table dated ${source.asOf} shipped with pitr-warden (used when the Retail Prices API cannot be reached)`;
    // Prices are fetched per region, milliseconds apart: one mention per source as displayed.
    seen.set(`${source.kind}:${text}`, text);
  }
  const texts = [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, text]) => text);
  return texts.length === 0 ? 'no price list (no cost could be estimated)' : texts.join(' and ');
}

/** The sentence every notice carries about its figures. */
export function estimateNote(sources: readonly (PriceSourceInfo | undefined)[]): string {
  return (
    'Costs are estimates, not invoices: pay-as-you-go list prices for compute and storage (without backup storage, ' +
    `discounts, reservations or taxes), accrued since each clone was created, from ${describePriceSources(sources)}.`
  );
}
