package privaterdsapi

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"testing"
)

// TestServicePropsTwins holds every field of ServiceProps (but PathPrefix) to one
// definition: its twin in PrivateRdsApiProps has the same name, type and doc comment, so
// that the first service (configured by PrivateRdsApiProps) and the added ones
// (ServiceProps) cannot drift apart. serviceProps copies the twins by name.
func TestServicePropsTwins(t *testing.T) {
	fset := token.NewFileSet()
	fields := map[string]map[string][2]string{} // struct -> field -> type, doc
	var order []string
	for _, file := range []string{"privaterdsapi.go", "service.go"} {
		f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			spec, ok := n.(*ast.TypeSpec)
			if !ok || (spec.Name.Name != "ServiceProps" && spec.Name.Name != "PrivateRdsApiProps") {
				return true
			}
			out := map[string][2]string{}
			for _, field := range spec.Type.(*ast.StructType).Fields.List {
				var typ bytes.Buffer
				if err := printer.Fprint(&typ, fset, field.Type); err != nil {
					t.Fatal(err)
				}
				for _, name := range field.Names {
					out[name.Name] = [2]string{typ.String(), field.Doc.Text()}
					if spec.Name.Name == "ServiceProps" {
						order = append(order, name.Name)
					}
				}
			}
			fields[spec.Name.Name] = out
			return false
		})
	}
	service, api := fields["ServiceProps"], fields["PrivateRdsApiProps"]
	if len(service) < 30 || len(api) == 0 {
		t.Fatalf("parsed %d ServiceProps and %d PrivateRdsApiProps fields", len(service), len(api))
	}
	for _, name := range order {
		if name == "PathPrefix" {
			continue
		}
		twin, ok := api[name]
		switch {
		case !ok:
			t.Errorf("ServiceProps.%s has no twin in PrivateRdsApiProps", name)
		case twin[0] != service[name][0]:
			t.Errorf("ServiceProps.%s is %s, PrivateRdsApiProps.%s is %s", name, service[name][0], name, twin[0])
		case twin[1] != service[name][1]:
			t.Errorf("ServiceProps.%s and PrivateRdsApiProps.%s have different doc comments:\n%s\n---\n%s", name, name, service[name][1], twin[1])
		}
	}
	// The list of per-service props (#16), all of them in ServiceProps.
	for _, name := range []string{"ContainerPort", "Cpu", "MemoryLimitMiB", "RuntimePlatform", "CapacityProviderStrategies",
		"Environment", "Secrets", "ReadonlyRootFilesystem", "User", "ContainerHealthCheck", "EnableExecuteCommand",
		"Database", "DatabasePort", "DatabaseSecret", "DatabaseHost", "DatabaseName", "MinCapacity", "MaxCapacity",
		"TargetCpuUtilizationPercent", "HealthCheckPath", "HealthCheckHealthyHttpCodes", "HealthCheckInterval",
		"HealthCheckTimeout", "HealthyThresholdCount", "UnhealthyThresholdCount", "DeregistrationDelay",
		"HealthCheckGracePeriod", "ListenerPort", "Image", "DatabaseSecurityGroups", "SecretsEncryptionKeys"} {
		if _, ok := service[name]; !ok {
			t.Errorf("ServiceProps lacks %s", name)
		}
	}
}

// TestServicePropsCopiesTheTwins: the first service's ServiceProps carries the values of
// PrivateRdsApiProps' per-service fields.
func TestServicePropsCopiesTheTwins(t *testing.T) {
	cpu, port, name := 1024.0, 9000.0, "orders"
	s := (&PrivateRdsApiProps{Cpu: &cpu, ListenerPort: &port, DatabaseName: &name, StageName: &name}).serviceProps()
	if s.Cpu != &cpu || s.ListenerPort != &port || s.DatabaseName != &name || *s.PathPrefix != "/" {
		t.Errorf("serviceProps: %+v", s)
	}
}

// TestListenerLimit: a Network Load Balancer takes 50 listeners, one per service.
func TestListenerLimit(t *testing.T) {
	a := &PrivateRdsApi{}
	for i := 0; i < MaxListenersPerLoadBalancer; i++ {
		a.Services = append(a.Services, &ApiService{PathPrefix: fmt.Sprintf("/s%d", i),
			settings: &settings{serviceSettings: &serviceSettings{listenerPort: float64(80 + i)}}})
	}
	prefix := "/more"
	got := a.checkRoute(&ServiceProps{PathPrefix: &prefix})
	if len(got) != 1 || got[0].Code != ProblemRange || got[0].Prop != "ListenerPort" {
		t.Errorf("the 51st service: %v, want one Range on ListenerPort", got)
	}
	if next := a.nextListenerPort(&ServiceProps{}); next != 80+MaxListenersPerLoadBalancer {
		t.Errorf("next listener port %v", next)
	}
	a.Services = a.Services[:MaxListenersPerLoadBalancer-1]
	if got := a.checkRoute(&ServiceProps{PathPrefix: &prefix}); len(got) != 0 {
		t.Errorf("the 50th service: %v, want none", got)
	}
}
