/**
 * Expectations in the bundled scenarios that describe Linux but that nflab's
 * engine does not meet yet. Each is marked `# ENGINE BUG` in its scenario file.
 * The scenario test fails both when any other expectation fails and when one of
 * these starts to pass, so a fixed engine bug is noticed and removed from here.
 */
export interface KnownFailure {
  file: string;
  step: number;
  /** The failure's `expected` text, as the runner reports it. */
  expected: string;
}

export const KNOWN_ENGINE_BUGS: readonly KnownFailure[] = [
  // A packet looped back over lo is routed again on input (martian source 127.0.0.6 / destination 127.0.0.1).
  { file: 'istio-sidecar.yaml', step: 1, expected: 'server node/pod' },
  { file: 'istio-sidecar.yaml', step: 1, expected: 'server sees 127.0.0.6' },
  { file: 'istio-sidecar.yaml', step: 2, expected: '1 conntrack entry on node/pod with proto=tcp src=127.0.0.6 dst=10.244.0.5 dport=8080 reply_sport=8080' },
  { file: 'istio-sidecar.yaml', step: 3, expected: 'result connected' },
  { file: 'istio-sidecar.yaml', step: 3, expected: 'server node/backend' },
  { file: 'istio-sidecar.yaml', step: 3, expected: 'server sees 10.244.0.5' },
  { file: 'istio-sidecar.yaml', step: 4, expected: 'node/pod nat/ISTIO_OUTPUT#4: 1 packets' },
  { file: 'istio-sidecar.yaml', step: 4, expected: 'node/pod nat/ISTIO_OUTPUT#1: 1 packets' },
  {
    file: 'istio-sidecar.yaml',
    step: 4,
    expected: '1 conntrack entry on node/pod with proto=tcp src=10.244.0.5 dst=10.244.0.6 reply_src=10.244.0.6 dport=80 reply_sport=80',
  },
  // REJECT --reject-with tcp-reset in FORWARD: the reset's non-local source fails nflab's output route lookup.
  { file: 'reject-variants.yaml', step: 2, expected: 'result refused' },
];

export function isKnown(file: string, step: number, expected: string): boolean {
  return KNOWN_ENGINE_BUGS.some((k) => k.file === file && k.step === step && k.expected === expected);
}
