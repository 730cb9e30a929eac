#!/bin/sh
# nflab-snapshot: prints the network state of this Linux host (and of the
# network namespaces asked for) as one text bundle for `nflab import`.
#
#   sudo sh nflab-snapshot.sh [OPTIONS] > host.nflab
#
#   (default)            the root namespace and every `ip netns` namespace
#   --netns NAME,...     these named namespaces (repeatable)
#   --netns-prefix P     named namespaces whose name starts with P
#   --pid PID            the namespace of this process (repeatable)
#   --docker             the namespace of every running Docker container
#   --all                every distinct network namespace of every process
#   --no-root            leave the root namespace out
#
# Needs root, iproute2 and iptables; uses nft, ipset, ss, nsenter and docker
# when present. A missing tool is written into the bundle, never fatal.
# It reads only: it writes no file and changes no setting on the host.
#
# It also runs from stdin (`nflab snapshot-script | ssh root@HOST sh -s -- --docker`):
# the whole script is one brace group, read to its end before anything runs, so
# no command can swallow the rest of the script from stdin.
{
set -u

VERSION=1
WANT_ROOT=1
SEL_DEFAULT=1
NETNS_LIST=
NETNS_PREFIX=
PIDS=
DOCKER=0
ALL=0

usage() {
	sed -n '2,17s/^# \{0,1\}//p' "$0" 2>/dev/null || echo "usage: nflab-snapshot.sh [--netns N,...] [--netns-prefix P] [--pid PID] [--docker] [--all] [--no-root]"
}

die() {
	echo "nflab-snapshot: $*" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--netns)
		[ $# -ge 2 ] || die "--netns needs NAME[,NAME...]"
		NETNS_LIST="$NETNS_LIST,$2"
		SEL_DEFAULT=0
		shift 2
		;;
	--netns=*)
		NETNS_LIST="$NETNS_LIST,${1#--netns=}"
		SEL_DEFAULT=0
		shift
		;;
	--netns-prefix)
		[ $# -ge 2 ] || die "--netns-prefix needs a prefix"
		NETNS_PREFIX=$2
		SEL_DEFAULT=0
		shift 2
		;;
	--netns-prefix=*)
		NETNS_PREFIX=${1#--netns-prefix=}
		SEL_DEFAULT=0
		shift
		;;
	--pid)
		[ $# -ge 2 ] || die "--pid needs a process id"
		case $2 in '' | *[!0-9]*) die "--pid needs a process id, not '$2'" ;; esac
		PIDS="$PIDS $2"
		SEL_DEFAULT=0
		shift 2
		;;
	--docker)
		DOCKER=1
		SEL_DEFAULT=0
		shift
		;;
	--all)
		ALL=1
		SEL_DEFAULT=0
		shift
		;;
	--no-root)
		WANT_ROOT=0
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done

have() { command -v "$1" >/dev/null 2>&1; }

have ip || die "iproute2 (the ip command) is required"

# The namespace every later command runs in: NS_KIND root | netns | pid, NS_ARG its name or pid.
NS_KIND=root
NS_ARG=
inns() {
	case $NS_KIND in
	root) "$@" ;;
	netns) ip netns exec "$NS_ARG" "$@" ;;
	pid) nsenter -t "$NS_ARG" -n "$@" ;;
	esac
}

# Runs CMD in the current namespace under `#@section NAME`: its stdout as is,
# then its stderr lines and a failing exit status as `#@stderr` / `#@exit` lines.
section() {
	name=$1
	shift
	echo "#@section $name"
	{ res=$({ inns "$@" </dev/null 2>&1 1>&4 4>&-; echo "@rc=$?"; } | sed -n 's/^/#@stderr /p'); } 4>&1
	echo
	[ -z "$res" ] && return 0
	rc=${res##*@rc=}
	printf '%s\n' "$res" | sed '/^#@stderr @rc=/d'
	[ "$rc" = 0 ] || echo "#@exit $rc"
}

missing() {
	echo "#@section $1"
	echo "#@missing $2"
}

# The sysctls nflab models, read from /proc/sys inside the namespace, one `PATH:VALUE` a line.
# (grep, not `read`: some kernels answer a procfs sysctl read of one byte at a time with that byte only.)
SYSCTL_READ='grep "" /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ip_unprivileged_port_start \
 /proc/sys/net/bridge/bridge-nf-call-iptables \
 /proc/sys/net/ipv4/conf/*/rp_filter /proc/sys/net/ipv4/conf/*/route_localnet \
 /proc/sys/net/ipv4/conf/*/forwarding /proc/sys/net/ipv4/conf/*/accept_local \
 /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_* /proc/sys/net/netfilter/nf_conntrack_udp_timeout \
 /proc/sys/net/netfilter/nf_conntrack_udp_timeout_stream /proc/sys/net/netfilter/nf_conntrack_icmp_timeout \
 /proc/sys/net/netfilter/nf_conntrack_generic_timeout /proc/sys/net/netfilter/nf_conntrack_tcp_loose \
 /proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal /proc/sys/net/netfilter/nf_conntrack_tcp_ignore_invalid_rst \
 /proc/sys/net/netfilter/nf_conntrack_tcp_max_retrans 2>/dev/null; exit 0'

# Listening sockets: ss with owners when present, else the kernel's own tables (they carry the uid too).
sockets() {
	if have ss; then
		section ss ss -H -l -n -t -u -e -p
		pids=$(inns ss -H -l -n -t -u -p 2>/dev/null | sed -n 's/.*pid=\([0-9][0-9]*\).*/\1/p' | sort -u)
		echo "#@section cmdline"
		for p in $pids; do
			[ -r "/proc/$p/cmdline" ] || continue
			printf '%s ' "$p"
			tr '\0' ' ' <"/proc/$p/cmdline"
			echo
		done
	else
		echo "#@missing ss"
		for t in tcp udp tcp6 udp6; do
			section "proc-net-$t" cat "/proc/net/$t"
		done
	fi
}

legacy_rules() {
	out=$(inns iptables-legacy-save 2>/dev/null) || return 0
	case $out in *"
-A "*)
		echo "#@section iptables-legacy"
		printf '%s\n' "$out"
		;;
	esac
}

capture_ns() {
	NS_KIND=$1
	NS_ARG=$2
	echo "#@ns $3"
	section link ip -j -d link show
	section addr ip -j addr show
	section route ip -j route show table all
	section rule ip -j rule show
	# After the link dump, which makes the kernel number every namespace a veth peer lives in.
	section netns-ids ip netns list-id
	section sysctl sh -c "$SYSCTL_READ"
	if have iptables-save; then section iptables iptables-save; else missing iptables iptables-save; fi
	[ "$IPT_LEGACY" = 1 ] && legacy_rules
	if have nft; then section nft nft list ruleset; else missing nft nft; fi
	if have ipset; then section ipset ipset save; else missing ipset ipset; fi
	sockets
}

ino_of() {
	# `ls -Li` prints the inode of the namespace a path refers to; two paths are one namespace when they agree.
	# shellcheck disable=SC2012
	ls -Li "$1" 2>/dev/null | sed 's/^ *\([0-9]*\).*/\1/'
}

SEEN=" $(ino_of /proc/self/ns/net) "
TARGETS=
add_target() { # KIND ARG LABEL PATH
	ino=$(ino_of "$4")
	if [ -z "$ino" ]; then
		echo "#@skipped $3: cannot open $4"
		return 0
	fi
	case $SEEN in *" $ino "*) return 0 ;; esac
	SEEN="$SEEN$ino "
	TARGETS="$TARGETS$1 $2 $3
"
}

netns_names() {
	ip netns list 2>/dev/null | sed 's/ .*//'
}

HOSTNAME_=$(cat /proc/sys/kernel/hostname 2>/dev/null || hostname 2>/dev/null || echo host)
IPT_VERSION=$(iptables -V 2>/dev/null || echo missing)
IPT_LEGACY=0
case $IPT_VERSION in *legacy*) ;; *) have iptables-legacy-save && IPT_LEGACY=1 ;; esac

echo "#@nflab-snapshot $VERSION"
echo "#@host $HOSTNAME_"
echo "#@kernel $(uname -r 2>/dev/null)"
echo "#@iptables $IPT_VERSION"
for t in iptables-save nft ipset ss nsenter docker; do have "$t" || echo "#@missing $t"; done

echo "#@section users"
if have getent; then getent passwd; else cat /etc/passwd; fi 2>/dev/null | while IFS=: read -r name _ id _; do echo "$name $id"; done
echo "#@section groups"
if have getent; then getent group; else cat /etc/group; fi 2>/dev/null | while IFS=: read -r name _ id _; do echo "$name $id"; done

if [ "$SEL_DEFAULT" = 1 ]; then
	for n in $(netns_names); do add_target netns "$n" "netns $n" "/run/netns/$n"; done
fi
if [ -n "$NETNS_LIST" ]; then
	old=$IFS
	IFS=,
	for n in $NETNS_LIST; do
		[ -n "$n" ] && add_target netns "$n" "netns $n" "/run/netns/$n"
	done
	IFS=$old
fi
if [ -n "$NETNS_PREFIX" ]; then
	for n in $(netns_names); do
		case $n in "$NETNS_PREFIX"*) add_target netns "$n" "netns $n" "/run/netns/$n" ;; esac
	done
fi
for p in $PIDS; do add_target pid "$p" "pid $p" "/proc/$p/ns/net"; done
if [ "$DOCKER" = 1 ]; then
	if have docker; then
		for c in $(docker ps -q 2>/dev/null); do
			# shellcheck disable=SC2046
			set -- $(docker inspect -f '{{.State.Pid}} {{.Name}}' "$c" 2>/dev/null)
			[ $# -ge 2 ] && add_target pid "$1" "docker ${2#/}" "/proc/$1/ns/net"
		done
	else
		echo "#@skipped docker: the docker command is missing"
	fi
fi
if [ "$ALL" = 1 ]; then
	for n in $(netns_names); do add_target netns "$n" "netns $n" "/run/netns/$n"; done
	for d in /proc/[0-9]*; do
		[ -e "$d/ns/net" ] && add_target pid "${d#/proc/}" "pid ${d#/proc/}" "$d/ns/net"
	done 2>/dev/null
fi

[ "$WANT_ROOT" = 1 ] && capture_ns root "" root
printf '%s' "$TARGETS" | while read -r kind arg label; do
	if [ "$kind" = pid ] && ! have nsenter; then
		echo "#@skipped $label: nsenter is missing"
		continue
	fi
	capture_ns "$kind" "$arg" "$label"
done
echo "#@end"
exit
}
