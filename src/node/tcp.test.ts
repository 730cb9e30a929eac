import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from '../packet/packet.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { type Segment, TcpEndpoint } from './tcp.js';

/** An endpoint whose every segment is lost after the handshake: what it sends, and when. */
function lossyClient() {
  const s = new Scheduler();
  const sent: Array<{ at: number; seg: Segment }> = [];
  const ep = new TcpEndpoint(
    { timers: s, send: (_e, seg) => void sent.push({ at: s.now(), seg }), isn: () => 1000 },
    1,
    40000,
    2,
    80,
    1460,
  );
  ep.connect();
  ep.receive({
    tcp: { sport: 80, dport: 40000, seq: 5000, ack: 1001, flags: TCP_SYN | TCP_ACK, window: 64240, options: { mss: 1460 } },
    payload: new Uint8Array(0),
  });
  return { s, sent, ep };
}

/** A client whose own OUTPUT drops every segment after the handshake (the send fails locally). */
function locallyDroppingClient() {
  const s = new Scheduler();
  const sent: Array<{ at: number; seg: Segment }> = [];
  let drop = false;
  const send = (_e: unknown, seg: Segment): boolean => {
    sent.push({ at: s.now(), seg });
    return !drop;
  };
  const ep = new TcpEndpoint({ timers: s, send, isn: () => 1000 }, 1, 40000, 2, 80, 1460);
  ep.connect();
  ep.receive({
    tcp: { sport: 80, dport: 40000, seq: 5000, ack: 1001, flags: TCP_SYN | TCP_ACK, window: 64240, options: { mss: 1460 } },
    payload: new Uint8Array(0),
  });
  drop = true;
  return { s, sent, ep };
}

describe('TCP retransmission', () => {
  it('retries a segment its own host dropped on the probe timer, and a FIN joins it (6.18: +207, +455, +817 ms)', () => {
    const { s, sent, ep } = locallyDroppingClient();
    const before = sent.length;
    ep.write(new TextEncoder().encode('hello\n'));
    s.runUntil(700_000);
    ep.close();
    s.runUntil(1_500_000);
    expect(sent.slice(before).map((x) => [x.at, x.seg.tcp.flags, x.seg.payload.length])).toEqual([
      [0, TCP_PSH | TCP_ACK, 6],
      [200_000, TCP_PSH | TCP_ACK, 6],
      [600_000, TCP_PSH | TCP_ACK, 6],
      // Not in loss recovery: nothing left the host. The FIN goes at once, with the data.
      [700_000, TCP_PSH | TCP_ACK | TCP_FIN, 6],
      [1_400_000, TCP_PSH | TCP_ACK | TCP_FIN, 6],
    ]);
  });

  it('collapses a FIN queued behind unacknowledged data into the retransmitted segment (tcp_retrans_collapse)', () => {
    const { s, sent, ep } = lossyClient();
    ep.write(new TextEncoder().encode('hello\n'));
    ep.close();
    const before = sent.length;
    expect(sent.map((x) => x.seg.tcp.flags).slice(-2)).toEqual([TCP_PSH | TCP_ACK, TCP_FIN | TCP_ACK]);
    s.runUntil(250_000);
    const rtx = sent.slice(before);
    expect(rtx).toHaveLength(1);
    expect(rtx[0].at).toBe(200_000);
    expect(rtx[0].seg.tcp.flags).toBe(TCP_PSH | TCP_ACK | TCP_FIN);
    expect(rtx[0].seg.tcp.seq).toBe(1001);
    expect(new TextDecoder().decode(rtx[0].seg.payload)).toBe('hello\n');
    // The merge stays: the next retransmission (the RTO, 200 ms after the probe) is the same single segment.
    s.runUntil(700_000);
    expect(sent.slice(before).map((x) => [x.at, x.seg.tcp.flags])).toEqual([
      [200_000, TCP_PSH | TCP_ACK | TCP_FIN],
      [400_000, TCP_PSH | TCP_ACK | TCP_FIN],
    ]);
  });

  it('probes the tail once, then backs the RTO off from 200 ms, as 6.18 does (206, 414, 842, 1674 ms)', () => {
    const { s, sent, ep } = lossyClient();
    ep.write(new TextEncoder().encode('hello\n'));
    const before = sent.length;
    s.runUntil(3_500_000);
    expect(sent.slice(before).map((x) => x.at)).toEqual([200_000, 400_000, 800_000, 1_600_000, 3_200_000]);
    expect(ep.state).toBe('ESTABLISHED');
  });

  it('holds a FIN back in loss recovery and sends it once the data is acknowledged', () => {
    const { s, sent, ep } = lossyClient();
    ep.write(new TextEncoder().encode('hello\n'));
    s.runUntil(700_000);
    const before = sent.length;
    // The RTO at 400 ms left the connection in loss recovery: close() queues the FIN, as the kernel does.
    ep.close();
    expect(ep.state).toBe('FIN_WAIT1');
    s.runUntil(900_000);
    expect(sent.slice(before).map((x) => [x.at, x.seg.tcp.flags])).toEqual([[800_000, TCP_PSH | TCP_ACK]]);
    ep.receive({
      tcp: { sport: 80, dport: 40000, seq: 5001, ack: 1007, flags: TCP_ACK, window: 502, options: {} },
      payload: new Uint8Array(0),
    });
    const fin = sent.at(-1)!.seg.tcp;
    expect([fin.flags, fin.seq]).toEqual([TCP_FIN | TCP_ACK, 1007]);
  });

  it('sends a FIN at once while only the tail probe has fired', () => {
    const { s, sent, ep } = lossyClient();
    ep.write(new TextEncoder().encode('hello\n'));
    s.runUntil(300_000);
    ep.close();
    expect(sent.at(-1)!.seg.tcp.flags).toBe(TCP_FIN | TCP_ACK);
  });

  it('does not merge segments that together exceed one MSS', () => {
    const { s, sent, ep } = lossyClient();
    ep.write(new Uint8Array(1000));
    ep.write(new Uint8Array(1000));
    const before = sent.length;
    s.runUntil(250_000);
    expect(sent.slice(before).map((x) => x.seg.payload.length)).toEqual([1000]);
  });
});
