#!/usr/bin/env bash
# A sale with signed buyers, from outside, as a newcomer tries it (issue 18): creates sale ID (default
# S1) of N tickets through ./rush sale create (signed buyers: the default for a new sale), then
# through Nginx: a buy without a token is a JSON 401 and sells nothing; N+2 buyers with tokens from
# ./rush token buy one each (N tickets, 2 sold out); a buyer's order is theirs: another's token gets a
# 404 for it, by id and on /pay; the owner pays through the demo provider and the order is paid.
# Checks Redis sold == N == tickets answered, and that no order id answered is a bare number.
#   ab-scripts/signed.sh [--sale ID] [--stock N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check_settings

sale=S1 stock=20
while (($#)); do
    case $1 in
    --sale) sale=$2; shift 2 ;;
    --stock) stock=$2; shift 2 ;;
    *) die "signed.sh: unknown option $1" ;;
    esac
done
is_uint "$stock" && ((stock > 0)) || die "--stock takes a whole number above 0"
curl -sf -o /dev/null --max-time 5 "$NGINX_URL/nginx-ok" || die "nothing answers on $NGINX_URL: ./rush up first"
fail=()
check() { # $1 what, $2 0 ok
    if [[ $2 == 0 ]]; then echo "signed: ok    $1"; else echo "signed: FAIL  $1"; fail+=("$1"); fi
}
field() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)" 2>/dev/null; }

"$RUSH_ROOT/rush" sale create "$sale" --stock "$stock" --name "signed $sale" >/dev/null || die "could not create sale $sale"
answer=$(curl -s -w '\n%{http_code}' "$NGINX_URL/buy/ticket?sale=$sale&user=mallory")
check "a buy without a token is a JSON 401 ($(tail -1 <<<"$answer"))" \
    "$([[ $(tail -1 <<<"$answer") == 401 && $(head -1 <<<"$answer" | field 'd["error"]') == unauthorized ]]; echo $?)"

users=()
for ((i = 0; i < stock + 2; i++)); do users+=("buyer$i"); done
mapfile -t tokens < <("$RUSH_ROOT/rush" token "${users[@]}")
check "./rush token printed a token per user (${#tokens[@]} of ${#users[@]})" "$([[ ${#tokens[@]} == "${#users[@]}" ]]; echo $?)"
tickets=0 sold_out=0 other=0 ids=()
for i in "${!users[@]}"; do
    body=$(curl -s -H "Authorization: Bearer ${tokens[$i]}" "$NGINX_URL/buy/ticket?sale=$sale")
    case $(field 'd["code"]' <<<"$body") in
    1) tickets=$((tickets + 1)); ids+=("$(field 'd["data"]["orderId"]' <<<"$body")") ;;
    -1) sold_out=$((sold_out + 1)) ;;
    *) other=$((other + 1)); echo "  $body" ;;
    esac
done
check "$stock tickets and 2 sold out for $((stock + 2)) signed buyers (tickets $tickets, sold out $sold_out, other $other)" \
    "$([[ $tickets == "$stock" && $sold_out == 2 && $other == 0 ]]; echo $?)"
numeric=$(printf '%s\n' "${ids[@]}" | grep -cE '^[0-9]+$' || true)
check "every order id answered is a public one, not the internal number ($numeric bare numbers)" \
    "$([[ $numeric == 0 ]]; echo $?)"

first=${ids[0]}
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "another buyer's token gets 404 for the order" "$([[ $(status -H "Authorization: Bearer ${tokens[1]}" \
    "$NGINX_URL/order?id=$first") == 404 ]]; echo $?)"
check "another buyer's token gets 404 paying it" "$([[ $(status -X POST -H "Authorization: Bearer ${tokens[1]}" \
    "$NGINX_URL/pay?order=$first") == 404 ]]; echo $?)"
payment=$(curl -s -X POST -H "Authorization: Bearer ${tokens[0]}" "$NGINX_URL/pay?order=$first" | field 'd["data"]["paymentId"]')
paid=$(curl -s -X POST "$NGINX_URL/demo-pay/pay?payment=$payment" | field 'd["data"]["order"]["state"]')
state=$(curl -s -H "Authorization: Bearer ${tokens[0]}" "$NGINX_URL/order?id=$first" | field 'd["data"]["state"]')
check "the owner pays through the demo provider: the order is paid ($paid, then $state)" \
    "$([[ $paid == paid && $state == paid ]]; echo $?)"
read -r sold _ <<<"$(sale_admin stock "$sale")"
check "Redis sold $sold == $stock" "$([[ $sold == "$stock" ]]; echo $?)"
((${#fail[@]} == 0)) || die "signed: ${#fail[@]} check(s) failed"
