/**
 * Replays a capture.sh command file against nflab and lists where its output
 * differs from the kernel's (kept out of the test files so the fixture test and
 * the live differential test share it). IPv6 lines of the kernel's output are
 * ignored: nflab is IPv4 only.
 */
import { runIp } from './ip-command.js';
import { RoutingTables } from './route.js';

export interface ReplayDiff {
  cmd: string;
  expected: string;
  actual: string;
}

const IPV6_LINE = /::/;

function parseOut(text: string): Array<{ cmd: string; text: string }> {
  const blocks: Array<{ cmd: string; text: string }> = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('$ ')) blocks.push({ cmd: line.slice(2), text: '' });
    else if (blocks.length && !IPV6_LINE.test(line)) blocks[blocks.length - 1].text += `${line}\n`;
  }
  return blocks.map((b) => ({ cmd: b.cmd, text: b.text.replace(/\n+$/, '\n') }));
}

function run(rt: RoutingTables, cmd: string): string {
  if (cmd.startsWith('sysctl -w ')) {
    const [k, v] = cmd.slice(10).split('=');
    rt.setSysctl(k, v);
    return `${k} = ${v}\n[rc=0]\n`;
  }
  const r = runIp(rt, cmd);
  return `${r.stdout}${r.stderr}[rc=${r.exitCode}]\n`.replace(/\n+$/, '\n');
}

/** `cmds`: the .cmds text (for its `@veth` devices); `kernelOut`: what capture.sh printed. */
export function replayText(cmds: string, kernelOut: string): ReplayDiff[] {
  const rt = new RoutingTables();
  for (const line of cmds.split('\n')) {
    if (line.startsWith('@veth ')) for (const d of line.slice(6).trim().split(/\s+/)) rt.addDevice(d, { up: false });
  }
  const diffs: ReplayDiff[] = [];
  for (const b of parseOut(kernelOut)) {
    const actual = run(rt, b.cmd);
    if (actual !== b.text) diffs.push({ cmd: b.cmd, expected: b.text, actual });
  }
  return diffs;
}
