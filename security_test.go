package privaterdsapi_test

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// securityTable returns the rows of the markdown table in the section heading of
// SECURITY.md whose header starts with the given first column, as the first n cells
// joined by " | ".
func securityTable(t *testing.T, heading, firstColumn string, n int) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := markdownTables(string(b), heading) // cost_test.go
	if err != nil {
		t.Fatalf("SECURITY.md: %v", err)
	}
	rows := map[string]bool{}
	for _, table := range tables {
		if len(table) == 0 || table[0][0] != firstColumn {
			continue
		}
		for _, cells := range table[1:] {
			if len(cells) >= n {
				rows[strings.Join(cells[:n], " | ")] = true
			}
		}
	}
	if len(rows) == 0 {
		t.Fatalf("SECURITY.md, %s: no table starting with %q", heading, firstColumn)
	}
	return rows
}

// groupRole names a security group (or peer) the way SECURITY.md does.
func groupRole(id string) string {
	switch {
	case strings.Contains(id, "ServiceSecurityGroup"):
		return "tasks"
	case strings.Contains(id, "DatabaseProxySecurityGroup"):
		return "proxy"
	case strings.Contains(id, "LoadBalancerSecurityGroup"):
		return "nlb"
	case strings.Contains(id, "VpcLinkSecurityGroup"):
		return "vpclink"
	case strings.HasPrefix(id, "PrivateRdsApiEndpoints"), id == "sg-0e1f2a3b4c5d6e7f8", strings.HasPrefix(id, "LogsEndpointSecurityGroup"):
		return "endpoints"
	case strings.HasPrefix(id, "DatabaseSecurityGroup"), id == "sg-0d1e2f3a4b5c6d7e8":
		return "database"
	case id == "255.255.255.255/32":
		return "none"
	case strings.HasPrefix(id, "pl-"):
		return "s3 prefix list"
	case strings.Contains(id, "CidrBlock") || id == "10.20.0.0/16":
		return "vpc cidr"
	}
	return id
}

func portLabel(group, peer string, r rule) string {
	switch {
	case r.proto == "icmp":
		return "icmp " + r.from + "-" + r.to
	case r.from == "443" && r.to == "443":
		return "443"
	case group == "database" || peer == "database":
		return "database port"
	case group == "proxy" || peer == "proxy":
		return "proxy port"
	case group == "vpclink" || peer == "vpclink":
		return "listener port"
	case group == "tasks" || peer == "tasks":
		return "container port"
	}
	return r.from + "-" + r.to
}

// TestSecurityModelMatchesTemplates checks SECURITY.md against every scenario: each
// security group rule and IAM statement the construct writes is a row of its tables, and
// each row occurs somewhere.
func TestSecurityModelMatchesTemplates(t *testing.T) {
	sgRows := securityTable(t, "## Security group rules", "Group", 4)
	iamRows := securityTable(t, "## IAM statements", "Role", 2)
	seenSG, seenIAM := map[string]bool{}, map[string]bool{}
	for _, s := range allScenarios(t) {
		ingress, egress := s.rules()
		for dir, rules := range map[string][]rule{"ingress": ingress, "egress": egress} {
			for _, r := range rules {
				group, peer := groupRole(strings.TrimSuffix(r.group, ".GroupId")), groupRole(strings.TrimSuffix(r.peer, ".GroupId"))
				if group == "database" && dir == "egress" {
					continue // the scenario's own RDS instance, not the construct's
				}
				row := strings.Join([]string{group, dir, peer, portLabel(group, peer, r)}, " | ")
				seenSG[row] = true
				if !sgRows[row] {
					t.Errorf("%s: rule %v is not in SECURITY.md as %q", s.name, r, row)
				}
			}
		}
		for _, p := range s.resources("AWS::IAM::Policy") {
			checkStatements(t, s.name, roleKind(p.id), p.props["PolicyDocument"], iamRows, seenIAM)
		}
		for _, r := range s.resources("AWS::IAM::Role") {
			for _, inline := range asList(r.props["Policies"]) {
				checkStatements(t, s.name, roleKind(r.id), inline["PolicyDocument"], iamRows, seenIAM)
			}
		}
		// The statements the construct adds to a key's policy: those for CloudWatch Logs.
		for _, k := range s.resources("AWS::KMS::Key") {
			var logs []any
			for _, st := range asList(k.props["KeyPolicy"].(map[string]any)["Statement"]) {
				if p, _ := st["Principal"].(map[string]any); p != nil && strings.Contains(fmt.Sprint(p["Service"]), "logs.") {
					logs = append(logs, st)
				}
			}
			checkStatements(t, s.name, "key policy", map[string]any{"Statement": logs}, iamRows, seenIAM)
		}
	}
	for row := range sgRows {
		if !seenSG[row] {
			t.Errorf("SECURITY.md lists %q, which no scenario writes", row)
		}
	}
	for row := range iamRows {
		if !seenIAM[row] {
			t.Errorf("SECURITY.md lists %q, which no scenario writes", row)
		}
	}
}

func roleKind(id string) string {
	switch {
	case strings.Contains(id, "ExecutionRole"):
		return "execution role"
	case strings.Contains(id, "FlowLog"):
		return "flow log role"
	case strings.HasPrefix(id, "PrivateRdsApiGatewayAccount"):
		return "account role"
	case strings.Contains(id, "TaskRole"):
		return "task role"
	case strings.Contains(id, "DatabaseProxyRole"):
		return "proxy role"
	}
	return id
}

func checkStatements(t *testing.T, scenario, role string, doc any, rows, seen map[string]bool) {
	t.Helper()
	for _, st := range asList(doc.(map[string]any)["Statement"]) {
		var actions []string
		switch a := st["Action"].(type) {
		case string:
			actions = []string{a}
		case []any:
			for _, x := range a {
				actions = append(actions, x.(string))
			}
		}
		sort.Strings(actions)
		row := role + " | " + strings.Join(actions, ", ")
		seen[row] = true
		if !rows[row] {
			t.Errorf("%s: IAM statement %q is not in SECURITY.md", scenario, row)
		}
	}
}
