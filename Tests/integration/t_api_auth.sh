#!/usr/bin/env bash
# The dev controller's auth API driven by curl with the Go client's request shapes
# (boundary-protocol.md §1.1-§1.5): login, token format, token reads, 401/403/404 rules, empty and
# malformed bearers, list-resolvable-aliases paging and refresh, list-token invalidation, token expiry.
. "$(dirname "$0")/lib.sh"
need_root
need_tool curl jq ip
need_bin boundary-dev-controller

ns=bca-api-auth
dir=$(tmpdir)
netns_create "$ns"
# `boundary dev` defaults (127.0.0.1:9200) inside our own namespace; short tokens for the expiry check.
dev_controller "$ns" "$dir" -admin-listen-address 127.0.0.1:9209 -request-log "$dir/requests.jsonl" -max-page-size 2
assert_eq "API on the boundary dev default address" "http://127.0.0.1:9200" "$DC_API"
assert_eq "worker on the boundary dev default address" "127.0.0.1:9202" "$DC_PROXY"

# api METHOD PATH TOKEN [BODY]: one call as the Go client makes it; body in $dir/body, status in $status.
api() {
    local method=$1 path=$2 token=$3 body=${4:-}
    local args=(-s -o "$dir/body" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $token"
        -H "Content-Type: application/json" -A "Boundary-client-agent/0.1.0")
    [ -n "$body" ] && args+=(--data-binary "$body")
    status=$(in_ns "$ns" curl "${args[@]}" "http://127.0.0.1:9200$path")
}
admin() { in_ns "$ns" curl -sf -X "$1" ${2:+--data-binary "$2"} "http://127.0.0.1:9209$3" >/dev/null; }
login_body='{"attributes":{"login_name":"user","password":"password"},"command":"login"}'

# --- authenticate ---
api POST /v1/auth-methods/ampw_1234567890:authenticate "" "$login_body"
assert_eq "login: 200" 200 "$status"
token=$(jq -r .attributes.token "$dir/body")
token_id=$(jq -r .attributes.id "$dir/body")
check "token is at_<10 base62>_s1<base58>" grep -Eq '^at_[0-9A-Za-z]{10}_s1[1-9A-HJ-NP-Za-km-z]+$' <<<"$token"
assert_eq "public id is the first two segments" "$token_id" "$(cut -d_ -f1-2 <<<"$token")"
assert_eq "login: user id" u_0987654321 "$(jq -r .attributes.user_id "$dir/body")"
assert_eq "login: command echoed" login "$(jq -r .command "$dir/body")"
assert_eq "login: no type when none was sent" null "$(jq -r .type "$dir/body")"
assert_eq "login: auth method" ampw_1234567890 "$(jq -r .attributes.auth_method_id "$dir/body")"
check "login: RFC 3339 expiration" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?Z$' <<<"$(jq -r .attributes.expiration_time "$dir/body")"
api POST /v1/auth-methods/ampw_1234567890:authenticate "" '{"attributes":{"login_name":"user","password":"password"},"command":"login","type":"token"}'
assert_eq "login with type: type echoed" token "$(jq -r .type "$dir/body")"

api POST /v1/auth-methods/ampw_1234567890:authenticate "" '{"attributes":{"login_name":"user","password":"wrong"},"command":"login"}'
assert_eq "wrong password: 401" 401 "$status"
assert_eq "wrong password: body" '{"kind":"Unauthenticated","message":"Unable to authenticate."}' "$(jq -c . "$dir/body")"
api POST /v1/auth-methods/ampw_1234567890:authenticate "" '{"command":"login","attributes":{}}'
assert_eq "missing fields: 400" 400 "$status"
assert_eq "missing fields: sorted request_fields" '["attributes.login_name","attributes.password"]' "$(jq -c '[.details.request_fields[].name]' "$dir/body")"
api POST /v1/auth-methods/ampw_1234567890:authenticate "" '{"command":"logout","attributes":{"login_name":"u","password":"p"}}'
assert_eq "unknown command: 400 on command" '["command"]' "$(jq -c '[.details.request_fields[].name]' "$dir/body")"
api POST /v1/auth-methods/ampw_9999999999:authenticate "" "$login_body"
assert_eq "unknown auth method: 404" 404 "$status"
api POST /v1/auth-methods/ampw_1234567890:authenticate "" '{"attributes":'
assert_eq "broken JSON: 400" 400 "$status"

# --- auth tokens ---
api GET "/v1/auth-tokens/$token_id" "$token"
assert_eq "read own token: 200" 200 "$status"
assert_eq "read: never returns the token" null "$(jq -r .token "$dir/body")"
assert_eq "read: actions" '["read:self","delete:self"]' "$(jq -c .authorized_actions "$dir/body")"
api GET "/v1/auth-tokens/$token_id" ""
assert_eq "read someone's token as anonymous (empty bearer): 403" 403 "$status"
api GET "/v1/auth-tokens/$token_id" "$token_id"
assert_eq "malformed bearer (2 segments) is anonymous: 403" 403 "$status"
api GET /v1/auth-tokens/at_0000000000 "$token"
assert_eq "unknown token id: 404" 404 "$status"
assert_eq "unknown token id: kind" NotFound "$(jq -r .kind "$dir/body")"
api DELETE "/v1/auth-tokens/$token_id" "$token"
assert_eq "unsupported method: 405" 405 "$status"
api GET /v1/nothing-here "$token"
assert_eq "unknown route: 404" 404 "$status"

# --- list-resolvable-aliases: paging (max page size 2; 2 aliases + 3 added = 3 pages) ---
for v in a b c; do admin POST "{\"value\":\"$v.example.test\",\"target\":\"ttcp_1234567890\"}" /admin/aliases; done
list_token=""
pages=0
ids=""
while :; do
    q="scope_id=global&recursive=true"
    [ -n "$list_token" ] && q="$q&list_token=$list_token"
    api GET "/v1/users/u_0987654321:list-resolvable-aliases?$q" "$token"
    [ "$status" = 200 ] || break
    pages=$((pages + 1))
    ids="$ids $(jq -r '.items[]?.id' "$dir/body")"
    [ $pages = 1 ] && item=$(jq -c '.items[0]' "$dir/body")
    list_token=$(jq -r .list_token "$dir/body")
    [ "$(jq -r .response_type "$dir/body")" = complete ] && break
    [ $pages -gt 10 ] && break
done
assert_eq "listing: 200 on every page" 200 "$status"
assert_eq "listing: 3 pages" 3 "$pages"
assert_eq "listing: 5 distinct aliases" 5 "$(tr ' ' '\n' <<<"$ids" | grep -c .)"
assert_eq "listing: sorted by created_time desc" "created_time desc" "$(jq -r '.sort_by + " " + .sort_dir' "$dir/body")"
assert_eq "listing: est_item_count is a number" number "$(jq -r '.est_item_count | type' "$dir/body")"
assert_eq "an item has exactly the documented fields" '["created_time","destination_id","id","type","updated_time","value"]' "$(jq -c 'keys' <<<"$item")"

# Refresh: one added, one deleted.
admin POST '{"value":"d.example.test","target":"ttcp_5432543254"}' /admin/aliases
admin DELETE "" /admin/aliases/a.example.test
api GET "/v1/users/u_0987654321:list-resolvable-aliases?scope_id=global&list_token=$list_token" "$token"
assert_eq "refresh: 200" 200 "$status"
assert_eq "refresh: the new alias only" '["d.example.test"]' "$(jq -c '[.items[].value]' "$dir/body")"
assert_eq "refresh: one removed id" 1 "$(jq '.removed_ids | length' "$dir/body")"
assert_eq "refresh: sorted by updated_time" updated_time "$(jq -r .sort_by "$dir/body")"
refresh_token=$(jq -r .list_token "$dir/body")

# Grants change: the token is refused with the domain kind.
admin POST '{"user":"u_0987654321","target":"ttcp_5432543254","allow":false}' /admin/grants
api GET "/v1/users/u_0987654321:list-resolvable-aliases?scope_id=global&list_token=$refresh_token" "$token"
assert_eq "grants changed: 400" 400 "$status"
assert_eq "grants changed: kind" "invalid list token" "$(jq -r .kind "$dir/body")"

# 401 vs 403.
api GET /v1/users/u_0987654321:list-resolvable-aliases ""
assert_eq "list as anonymous: 401" 401 "$status"
assert_eq "list as anonymous: message" "Unauthenticated, or invalid token." "$(jq -r .message "$dir/body")"
api GET /v1/users/u_1234567890:list-resolvable-aliases "$token"
assert_eq "list someone else's aliases: 403" 403 "$status"
admin POST '{"user":"u_0987654321","list_resolvable_aliases":false}' /admin/grants
api GET /v1/users/u_0987654321:list-resolvable-aliases "$token"
assert_eq "list without the grant: 403" 403 "$status"
assert_eq "403 body" '{"kind":"PermissionDenied","message":"Forbidden."}' "$(jq -c . "$dir/body")"
api GET /v1/users/u_recovery:list-resolvable-aliases "$token"
assert_eq "u_recovery: 400" 400 "$status"

# Expired tokens: the admin knob, then the token is anonymous everywhere.
admin POST '{"user":"u_0987654321"}' /admin/tokens/expire
api GET "/v1/auth-tokens/$token_id" "$token"
assert_eq "expired token reading itself: 404 (deleted on validation)" 404 "$status"
api POST /v1/targets/ssh.boundary.dev:authorize-session "$token" '{}'
assert_eq "expired token: authorize is 401" 401 "$status"

# The request log saw every call with its user agent.
check "request log: authenticate lines" grep -q '"event":"authenticate"' "$dir/requests.jsonl"
assert_eq "request log: user agent recorded" 0 "$(jq -r 'select(.user_agent != "Boundary-client-agent/0.1.0") | .event' "$dir/requests.jsonl" | wc -l)"
assert_eq "request log: three list pages then refresh and refusals" 200 "$(jq -r 'select(.event=="list-resolvable-aliases") | .status' "$dir/requests.jsonl" | head -1)"
finish
