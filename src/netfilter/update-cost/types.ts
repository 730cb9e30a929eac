/**
 * The shapes of the rule-update calibration: what `npm run calibrate`
 * (src/bench/calibrate-update-cost.ts) measures and fits, and what the
 * generated fits.ts holds for the model to read (the measured points go to
 * test/fixtures/update-cost/calibration.json, for the model's test).
 */
/** Which iptables tool makes the change: the legacy (x_tables) or the nft backend. */
export type IptablesBackend = 'nft' | 'legacy';
export type CostClass = 'ruleAdd' | 'ruleDelete' | 'chain' | 'restoreFull' | 'restoreNoflush';

export interface CalibrationPoint {
  backend: IptablesBackend;
  op: string;
  /** The model class this point is fitted into; null: shown in the doc only. */
  cls: CostClass | null;
  services: number;
  tableRules: number;
  chainRules: number;
  ruleLines: number;
  chainLines: number;
  noflush: boolean;
  runs: number;
  medianUs: number;
  minUs: number;
  maxUs: number;
}

/** µs = a + Σ slope × count: `tableRules`, `chainRules`, `ruleLines` here are µs per rule of that count. */
export interface CostFit {
  a: number;
  tableRules: number;
  chainRules: number;
  ruleLines: number;
  points: number;
  /** Largest |model − median| / median over the points fitted. */
  maxRelErr: number;
  note: string;
}

/** One measured native nft transaction (`nft -f -` of a kube-proxy sync). */
export interface NftCalibrationPoint {
  op: string;
  services: number;
  /** Rules in the ruleset before the transaction. */
  tableRules: number;
  /** Command lines in the transaction. */
  ruleLines: number;
  runs: number;
  medianUs: number;
  minUs: number;
  maxUs: number;
}

/** µs = a + tableRules × rules before + ruleLines × command lines + crossLines × command lines × (rules before + command lines) / 1000. */
export interface NftTxnFit {
  a: number;
  tableRules: number;
  ruleLines: number;
  crossLines: number;
  points: number;
  maxRelErr: number;
}
