/**
 * Constants shared with assets/apps.py, the python3 program an exported lab writes to its state directory: the
 * listeners that stand in for nflab's apps (echo, sink, proxy) and the probe
 * clients the kernel harness uses (connect, ping). Python rather than socat
 * because the echo answer must name the peer address the server saw, and the
 * proxy must read SO_ORIGINAL_DST.
 *
 * Answers of `echo` are one line: `nflab-echo node=N peer=IP:PORT local=IP:PORT line=TEXT`.
 * Probes print one JSON object: { result, errno?, answer?, server?, serverSees? }.
 */

/** DSCP a probe sets on its first packet so the harness's private nftables table can trace just that packet (pool 2, "experimental or local use"). */
export const TRACE_DSCP = 0x0b;
/** The same marker as the whole TOS byte (DSCP shifted past the two ECN bits). */
export const TRACE_TOS = TRACE_DSCP << 2;
