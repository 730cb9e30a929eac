/**
 * The line the echo app answers with. The exported kernel lab's echo server
 * (src/export/apps-py.ts) answers the same way, so probe results compare byte
 * for byte: `nflab-echo node=NODE peer=IP:PORT local=IP:PORT line=WHAT-IT-RECEIVED`.
 */
export function echoAnswer(node: string, peer: string, local: string, received: string): string {
  return `nflab-echo node=${node} peer=${peer} local=${local} line=${received.replace(/\r?\n$/, '')}\n`;
}

export interface EchoAnswer {
  node: string;
  peer: string;
  local: string;
  line: string;
}

export function parseEchoAnswer(text: string): EchoAnswer | null {
  const m = /^nflab-echo node=(\S+) peer=(\S+) local=(\S+) line=(.*)$/m.exec(text);
  return m ? { node: m[1], peer: m[2], local: m[3], line: m[4] } : null;
}
