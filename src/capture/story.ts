/**
 * One line that tells what a node did to a packet, for a frame's pcapng
 * comment: the rules that decided its fate (table/CHAIN#rule, jumps as →),
 * what NAT rewrote, and the conntrack state, e.g.
 *
 *   docker-host: nat/PREROUTING#1→DOCKER#1 DNAT 198.51.100.1:8080→172.17.0.2:80; filter/FORWARD#4→DOCKER#1 ACCEPT; ct NEW
 *
 * Built only while a capture runs and only from recorded trace steps.
 */
import { isRuleStep, type RuleTraceStep, type TraceStep } from '../trace/steps.js';

const ARROW = ' → ';

interface OpenJump {
  /** Index in `parts` of the jumping rule. */
  at: number;
  target: string;
  /** The chain the walk returns to. */
  from: string;
}

interface Group {
  hook: string;
  /** `nat`, `filter`, ... for iptables; `FAMILY TABLE` for a native nft table. */
  table: string;
  native: boolean;
  /** Rendered parts, and after each the separator that follows it. */
  parts: string[];
  joins: string[];
  open: OpenJump[];
  /** Chain the walk is in now. */
  chain: string;
}

/**
 * Leaves the innermost jump. A jump into a chain that returned without doing
 * anything is a detour that did not decide the packet's fate (Docker's
 * DOCKER-USER, the isolation stages), so it is left out of the story.
 */
function leave(g: Group): void {
  const j = g.open.pop()!;
  if (j.at === g.parts.length - 1) {
    g.parts.pop();
    g.joins.pop();
  }
  g.chain = j.from;
}

function addRule(g: Group, s: RuleTraceStep): void {
  // A step in another chain means the walk fell off the end of a user chain (an implicit return).
  while (s.chain !== g.chain && g.open.length) leave(g);
  g.chain = s.chain;
  const where = s.rule === null ? s.chain : `${s.chain}#${s.rule}`;
  const jump = s.verdict.startsWith('JUMP:');
  if (jump || s.verdict.startsWith('GOTO:')) {
    const target = s.verdict.slice(5);
    // A goto does not come back here: it returns where the current chain would have.
    const top = g.open[g.open.length - 1];
    const from = jump || !top ? s.chain : top.from;
    if (!jump && top) g.open.pop();
    g.open.push({ at: g.parts.length, target, from });
    g.parts.push(where);
    g.joins.push('→');
    g.chain = target;
    return;
  }
  if (s.verdict === 'RETURN' && s.rule !== null && g.open.length) {
    const top = g.open[g.open.length - 1];
    if (top.at === g.parts.length - 1) return leave(g);
    g.open.pop();
    g.chain = top.from;
  }
  g.parts.push(`${where} ${s.target ?? s.verdict}`);
  g.joins.push(', ');
}

const NFT_TARGETS: Array<[RegExp, string]> = [
  [/\bdnat\b/, 'DNAT'],
  [/\bsnat\b/, 'SNAT'],
  [/\bmasquerade\b/, 'MASQUERADE'],
  [/\bredirect\b/, 'REDIRECT'],
  [/\breject\b/, 'REJECT'],
];
const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT']);

/**
 * A native nft step in the story's vocabulary: `#N` is the rule's handle (as
 * `nft -a list` shows it), verdicts as iptables spells them (`jump X` → JUMP:X),
 * and the statement that decided (dnat, masquerade, reject) as its target. The
 * quoted comment is left out of the search, so a comment saying "reject" is not a target.
 */
function asStoryStep(s: RuleTraceStep): RuleTraceStep {
  if (s.family === undefined) return s;
  const [word, arg] = s.verdict.split(' ', 2);
  const verdict = word === 'jump' || word === 'goto' ? `${word.toUpperCase()}:${arg}` : word.toUpperCase();
  const text = (s.rule_text ?? '').replace(/"[^"]*"/g, '""');
  const target = s.policy ? undefined : NFT_TARGETS.find(([re]) => re.test(text))?.[1];
  return { ...s, rule: s.policy ? null : (s.handle ?? null), verdict, ...(target !== undefined ? { target } : {}) };
}

/**
 * A raw, mangle or nat walk that ended on an ACCEPT policy with no rule
 * matching changed nothing and decided nothing, so it would only be noise.
 * filter and security policies stay: they decided the packet's fate.
 */
function changedNothing(g: Group): boolean {
  // A native base chain's accept ends only that chain: its policy accept decided nothing either.
  return (
    g.parts.length === 1 &&
    g.parts[0] === `${g.chain} ACCEPT` &&
    (g.native || g.table === 'raw' || g.table === 'mangle' || g.table === 'nat')
  );
}

function renderGroup(g: Group): string {
  let out = `${g.table}/`;
  for (let i = 0; i < g.parts.length; i++) out += g.parts[i] + (i < g.parts.length - 1 ? g.joins[i] : '');
  return out;
}

/** `a:1 → b:2` before and after: only the side NAT changed, as `old→new`. */
function natChange(kind: string, before: string, after: string): string {
  const b = before.split(ARROW);
  const a = after.split(ARROW);
  if (b.length !== 2 || a.length !== 2) return `${kind} ${before}→${after}`;
  const side = kind === 'DNAT' ? 1 : 0;
  const other = 1 - side;
  const main = `${kind} ${b[side]}→${a[side]}`;
  // A rewrite can touch both sides (SNAT and DNAT in one hook is impossible, but be honest if it happens).
  return b[other] === a[other] ? main : `${main} (and ${b[other]}→${a[other]})`;
}

/** The story of one node's handling of a packet, from that node's steps in order. */
export function storyOf(node: string, steps: readonly TraceStep[], idle: string): string {
  const segs: string[] = [];
  let group: Group | null = null;
  let ct: string | null = null;
  const endGroup = () => {
    if (group && group.parts.length && !changedNothing(group)) segs.push(renderGroup(group));
    group = null;
  };
  for (const s of steps) {
    if (isRuleStep(s)) {
      const table = s.family === undefined ? s.table : `${s.family} ${s.table}`;
      // Two native base chains of one table at one hook are two walks.
      const base = s.family !== undefined && group !== null && s.chain !== group.chain && !group.open.length;
      if (!group || group.hook !== s.hook || group.table !== table || base) {
        endGroup();
        group = { hook: s.hook, table, native: s.family !== undefined, parts: [], joins: [], open: [], chain: s.chain };
      }
      addRule(group, asStoryStep(s));
      continue;
    }
    if ('nat' in s) {
      const change = natChange(s.nat.kind, s.nat.before, s.nat.after);
      const g = group;
      const natWalk = g !== null && (g.native ? NAT_TARGETS.has(g.parts[g.parts.length - 1]?.split(' ').pop() ?? '') : g.table === 'nat');
      if (g && natWalk && g.hook === s.nat.hook && g.parts.length) {
        // The rule already names the kind (`DOCKER#1 DNAT`): say only what changed.
        const walk = renderGroup(g);
        segs.push(walk.endsWith(` ${s.nat.kind}`) ? `${walk}${change.slice(s.nat.kind.length)}` : `${walk} ${change}`);
        group = null;
      } else {
        endGroup();
        // No rule walk: conntrack applied the mapping of an existing connection.
        segs.push(`${change} (conntrack)`);
      }
      continue;
    }
    if ('conntrack' in s) {
      ct ??= s.conntrack.state + ('dir' in s.conntrack && s.conntrack.dir === 'reply' ? ' reply' : '');
      continue;
    }
    if ('drop' in s) {
      endGroup();
      segs.push(`dropped (${s.drop.reason})`);
    } else if ('deliver' in s) {
      endGroup();
      segs.push(`delivered to ${s.deliver.socket}${s.deliver.app ? ` (${s.deliver.app})` : ''}`);
    } else if ('route' in s && s.route.error) {
      endGroup();
      segs.push(`route: ${s.route.error}`);
    } else if ('link' in s && s.link.drop) {
      endGroup();
      segs.push(`link drop (${s.link.drop})`);
    }
  }
  endGroup();
  if (ct) segs.push(`ct ${ct}`);
  return `${node}: ${segs.length ? segs.join('; ') : idle}`;
}
