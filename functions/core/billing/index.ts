/**
 * Billing: exact money arithmetic, pricing of usage rows by plan, the usage report of a
 * month and its CSV and HTML renderings. The rules a finance team relies on (rounding,
 * CSV columns) are in docs/billing.md.
 */
export { BillingService, type BillingServiceOptions } from './billing-service';
export { CSV_COLUMNS, renderCsv } from './csv';
export { renderHtml } from './html';
export {
  InvalidPriceError,
  formatMoney,
  formatPrice,
  formatUnits,
  minorUnitDigits,
  parsePrice,
  roundToMinor,
} from './money';
export { UnpricedUsageError, chargeOf, unitPriceOf, type Charge, type UnitPrice } from './pricing';
export { buildBillingReport, monthPeriod, versionKey, type BillingReportInput } from './report';
