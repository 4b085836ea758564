/**
 * Reconciliation (design.md §1 "reconcile", §3.7): compares a registration system (SNE, SPTA) with the
 * local tool demand by demand, lists what is stuck in the gateway, runs the regulatory checks
 * (domain.md §6-§9), writes the report (JSON, CSV, HTML) and repairs what it can.
 *
 * - `runReconciliation(deps, options)`: the whole run (CLI `passerelle reconcile`);
 * - `createReconcileProcessor(deps)`: the nightly `reconcile` job of the maintenance queue;
 * - `reportListing(config)`: `listReports` and `reportFile` for the web server;
 * - `reconcile(deps, options)`: the engine alone (no file written).
 */
export * from './types';
export { reconcile, reportId, Phase, type ReconcileDeps, type ReconcileLocal, type ReconcileOptions, type ReconcileProgress } from './engine';
export { classify, Reason, type Classification, type DemandeSituation } from './classify';
export { diffFields, type FieldDiff } from './diff';
export { DEFAULT_FAIL_ON, parseFailOn, exceededThresholds, type Thresholds, type Exceeded } from './thresholds';
export { planRepair, applyRepair, RepairKind, type RepairAction, type RepairPlan, type RepairOutcome, type RepairDeps } from './repair';
export { scanStock, resolveStockFile, numUniqueIn, StockErrorCode, type StockItem, type StockScanResult } from './stock';
export { ReportStore, ReportFormat, reportFormats, type ReportMeta, type WrittenReport } from './report/store';
export {
  runReconciliation,
  createReconcileProcessor,
  reportListing,
  ReconcileErrorCode,
  type ReconcileServiceDeps,
  type ReconcileProcessorDeps,
  type RunReconciliationOptions,
  type ReconciliationResult,
  type ReconcileJobData,
} from './service';
export { dayIn, factsOf, demandeChecks, isAttributionReportOverdue, type DemandeFacts } from './rules';
