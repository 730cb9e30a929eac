/**
 * The line the echo app answers with. The same format is produced by the
 * exported kernel lab's echo server, so probe results compare byte for byte:
 * `nflab-echo node=NODE peer=IP:PORT data=WHAT-IT-RECEIVED`.
 */
export function echoAnswer(node: string, peer: string, received: string): string {
  return `nflab-echo node=${node} peer=${peer} data=${received.replace(/\r?\n$/, '')}\n`;
}

export interface EchoAnswer {
  node: string;
  peer: string;
  data: string;
}

export function parseEchoAnswer(text: string): EchoAnswer | null {
  const m = /^nflab-echo node=(\S+) peer=(\S+) data=(.*)$/m.exec(text);
  return m ? { node: m[1], peer: m[2], data: m[3] } : null;
}
