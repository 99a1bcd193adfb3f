#!/usr/bin/env bash
# proc_openapi.sh - the OpenAPI document describes the lifecycle routes
# truthfully: every step route is listed with its summary and a request
# JSON Schema generated from the same field table as the parser, and an
# independent validator (ajv, from npm) agrees with the server on a set
# of bodies: those the server accepts validate, those it refuses as
# malformed (400) do not.
. "$(dirname "$0")/lib.sh"

"$B" init --data "$T/d" --origin belfry.test/openapi >/dev/null 2>&1; ok $? "init"
OFF=$("$B" token create --data "$T/d" --role officer --buyer BE-MOD 2>/dev/null)
start_serve "$T/d" "$T/out" "$T/err" --write-rate 0
curl -s "$U/api/v1/openapi.json" >"$T/openapi.json"
steps="tender invitation amendments clarifications bids award contract milestones transactions amendment termination cancellation disclosure"
missing=""
for s in $steps; do
    jq -e --arg p "/api/v1/procedures/{ocid}/$s" '.paths[$p].post | (.summary|length > 20) and (.requestBody.content["application/json"].schema.type == "object")' \
        "$T/openapi.json" >/dev/null || missing="$missing $s"
done
[ -z "$missing" ]; ok $? "every step route has a summary and a request schema${missing:+ (missing:$missing)}"
jq -e '.paths["/api/v1/procedures"].post.requestBody.content["application/json"].schema.required | index("procedure") != null' \
    "$T/openapi.json" >/dev/null; ok $? "the create schema requires 'procedure'"

# bodies: route|expected server status|body
cat >"$T/cases" <<'EOF'
/api/v1/procedures|201|{"title":"Radars","procedure":"restricted","mainProcurementCategory":"goods","estimatedValue":{"amount":9000000,"currency":"EUR"},"capabilityArea":"airDefence","securityClassification":"secret","date":"2025-01-06","withheld":[{"path":"/awards/0/value","reason":"defenceSecurity","disclosureDate":"2030-01-01"}]}
/api/v1/procedures|400|{"title":"Radars","procedure":"restricted","mainProcurementCategory":"goods","estimatedValue":{"amount":9000000,"currency":"USD"},"capabilityArea":"airDefence"}
/api/v1/procedures|400|{"title":"Radars","procedure":"restricted","mainProcurementCategory":"goods","estimatedValue":{"amount":9000000,"currency":"EUR"},"capabilityArea":"airDefence","colour":"blue"}
/api/v1/procedures|400|{"title":"","procedure":"restricted","mainProcurementCategory":"goods","estimatedValue":{"amount":9000000,"currency":"EUR"},"capabilityArea":"airDefence"}
/api/v1/procedures|400|{"title":"Radars","procedure":"restricted","mainProcurementCategory":"food","estimatedValue":{"amount":9000000,"currency":"EUR"},"capabilityArea":"airDefence"}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/tender|400|{"date":"3 February 2025","requestsDeadline":"2025-03-12"}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/tender|400|{"date":"2025-02-03","requestsDeadline":"2025-03-12","electronicNotice":"yes"}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/tender|201|{"date":"2025-02-03","requestsDeadline":"2025-03-12","electronicNotice":true,"electronicDocuments":true}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/invitation|400|{"date":"2025-03-13","tenderDeadline":"2025-04-22","candidates":[]}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/invitation|201|{"date":"2025-03-13","tenderDeadline":"2025-04-22T12:00:00+02:00","candidates":[{"id":"BE-1","name":"A"},{"id":"FR-2","name":"B"},{"id":"SE-3","name":"C"}]}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/bids|400|{"date":"2025-04-23","bids":[{"id":"B1","tenderer":{"id":"BE-1"},"value":{"amount":1,"currency":"EUR"},"date":"2025-04-20"}]}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/bids|201|{"date":"2025-04-23","bids":[{"id":"B1","tenderer":{"id":"BE-1","name":"A"},"value":{"amount":8100000.5,"currency":"EUR"},"date":"2025-04-20","status":"valid"}]}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/award|400|{"date":"2025-05-02","bidId":"B1","notification":"pigeon"}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/award|201|{"date":"2025-05-02","bidId":"B1","notification":"electronic","rationale":"only valid tender"}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/contract|201|{"date":"2025-05-20","dateSigned":"2025-05-20","period":{"startDate":"2025-06-01","endDate":"2027-06-01"},"title":"Radar supply"}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/milestones|400|{"milestones":[{"id":"M1","title":"t","dueDate":"2025-09-01","status":"late"}]}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/transactions|400|{"date":"2025-06-01","id":"T1","value":{"amount":-5,"currency":"EUR"}}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/transactions|201|{"date":"2025-06-01","id":"T1","value":{"amount":100000,"currency":"EUR"},"description":"advance"}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/disclosure|400|{"paths":[]}
/api/v1/procedures/ocds-belfry-BE-MOD-000001/disclosure|201|{"date":"2025-06-02","paths":["/awards/0/value"]}
EOF
bad=""
i=0
while IFS='|' read -r route want body; do
    i=$((i + 1))
    got=$(api_status "$OFF" --data-binary "$body" "$U$route")
    [ "$got" = "$want" ] || bad="$bad #$i($want/$got: $(jq -c '.error.issues[0] // .error.message' "$T/body" 2>/dev/null))"
    printf '%s\t%s\t%s\n' "$route" "$want" "$body" >>"$T/checked"
done <"$T/cases"
[ -z "$bad" ]; ok $? "the server answers each of $i bodies as expected${bad:+ --$bad}"

AJV=$(node -e "try{require.resolve('ajv');console.log('ok')}catch(e){}" 2>/dev/null)
if [ "$AJV" = ok ]; then
    node - "$T/openapi.json" "$T/checked" >"$T/ajv" 2>&1 <<'EOF'
const fs = require('fs');
const Ajv = require('ajv');
const api = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
let disagree = 0, n = 0;
for (const line of fs.readFileSync(process.argv[3], 'utf8').trim().split('\n')) {
  const [route, want, body] = line.split('\t');
  const path = route.replace(/ocds-belfry-BE-MOD-000001/, '{ocid}');
  const schema = api.paths[path].post.requestBody.content['application/json'].schema;
  const valid = ajv.validate(schema, JSON.parse(body));
  n++;
  if (valid !== (want !== '400')) { disagree++; console.log(`disagree: ${route} ${want} ${JSON.stringify(ajv.errors)}`); }
}
console.log(`${n} bodies, ${disagree} disagreements`);
process.exit(disagree ? 1 : 0);
EOF
    ok $? "ajv with the OpenAPI request schemas agrees with the server: $(tail -1 "$T/ajv")"
else
    skip "ajv is not installed (npm install --no-save ajv)"
fi
done_testing
