package privaterdsapi_test

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecspatterns"
	"github.com/aws/jsii-runtime-go"

	"github.com/seed07617466/privaterdsapi"
	"github.com/seed07617466/privaterdsapi/internal/scenarios"
)

// The ThreeServices scenario's services, by the logical id prefix of their resources.
var threeServices = []struct {
	prefix, path string
	listener     float64
}{
	{"Api", "/", 80},
	{"ApiOrders", "/orders", 81},
	{"ApiCatalog", "/catalog", 82},
}

// idOf returns the logical id of the single resource of typ whose id is prefix followed
// by the construct id and an 8-digit hash (so that "Api"+"Service" does not match
// "ApiOrdersService").
func idOf(t *testing.T, s *synthesized, typ, prefix, construct string) string {
	t.Helper()
	pattern := regexp.MustCompile("^" + prefix + construct + "[0-9A-F]{8}$")
	var found []string
	for _, r := range s.resources(typ) {
		if pattern.MatchString(r.id) {
			found = append(found, r.id)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: want one %s %s%s, found %v", s.name, typ, prefix, construct, found)
	}
	return found[0]
}

// TestServicesAreIsolated: each service's security group admits only the load balancer,
// on its own container port; no rule lets one service's tasks reach another's; the load
// balancer reaches each service only on its container port; the VPC link reaches the
// load balancer only on the listener ports.
func TestServicesAreIsolated(t *testing.T) {
	s := scenario(t, "ThreeServices")
	ingress, egress := s.rules()
	lb := idOf(t, s, "AWS::EC2::SecurityGroup", "Api", "LoadBalancerSecurityGroup") + ".GroupId"
	link := idOf(t, s, "AWS::EC2::SecurityGroup", "Api", "VpcLinkSecurityGroup") + ".GroupId"
	groups := map[string]bool{}
	for _, svc := range threeServices {
		groups[idOf(t, s, "AWS::EC2::SecurityGroup", svc.prefix, "ServiceSecurityGroup")+".GroupId"] = true
	}
	var wantLbEgress []string
	for g := range groups {
		if got, want := rulesOf(ingress, g), []string{"tcp:8080-8080 from/to " + lb}; !slices.Equal(got, want) {
			t.Errorf("ingress of %s: %v, want only %v", g, got, want)
		}
		for _, r := range egress {
			if r.group == g && groups[r.peer] {
				t.Errorf("a service's tasks reach another service: %s", r)
			}
		}
		wantLbEgress = append(wantLbEgress, "tcp:8080-8080 from/to "+g)
	}
	sortStrings(wantLbEgress)
	if got := rulesOf(egress, lb); !slices.Equal(got, wantLbEgress) {
		t.Errorf("load balancer egress %v, want %v", got, wantLbEgress)
	}
	var wantLink []string
	for _, svc := range threeServices {
		wantLink = append(wantLink, fmt.Sprintf("tcp:%v-%v from/to ", svc.listener, svc.listener))
	}
	if got := rulesOf(ingress, lb); !slices.Equal(got, []string{wantLink[0] + link, wantLink[1] + link, wantLink[2] + link}) {
		t.Errorf("load balancer ingress %v, want the VPC link on %v", got, wantLink)
	}
	if got := rulesOf(egress, link); !slices.Equal(got, []string{wantLink[0] + lb, wantLink[1] + lb, wantLink[2] + lb}) {
		t.Errorf("VPC link egress %v, want the load balancer on %v", got, wantLink)
	}
}

// uriOf is a method's integration URI with the load balancer's DNS name as <dns>.
func uriOf(m map[string]any) string {
	integration, _ := m["Integration"].(map[string]any)
	join, ok := integration["Uri"].(map[string]any)["Fn::Join"].([]any)
	if !ok {
		return fmt.Sprint(integration["Uri"])
	}
	var b strings.Builder
	for _, part := range join[1].([]any) {
		if str, ok := part.(string); ok {
			b.WriteString(str)
		} else {
			b.WriteString("<" + ref(part) + ">")
		}
	}
	return b.String()
}

// pathOf is the API path of a method's resource, from the template's resources.
func pathOf(s *synthesized, resourceId any) string {
	byId := map[string]map[string]any{}
	for _, r := range s.resources("AWS::ApiGateway::Resource") {
		byId[r.id] = r.props
	}
	path := ""
	for id := ref(resourceId); ; {
		r, ok := byId[strings.TrimSuffix(id, ".RootResourceId")]
		if !ok {
			break
		}
		path = "/" + r["PathPart"].(string) + path
		id = ref(r["ParentId"])
	}
	if path == "" {
		return "/"
	}
	return path
}

// TestRoutesReachTheirService follows every method of the ThreeServices API through the
// template: route -> listener port in its URI -> the listener's target group -> the ECS
// service of that target group -> its container port, which is the target group's port.
func TestRoutesReachTheirService(t *testing.T) {
	s := scenario(t, "ThreeServices")
	listeners := map[float64]string{} // port -> target group
	for _, r := range s.resources("AWS::ElasticLoadBalancingV2::Listener") {
		listeners[r.props["Port"].(float64)] = ref(r.props["DefaultActions"].([]any)[0].(map[string]any)["TargetGroupArn"])
	}
	targetGroups := map[string]float64{}
	for _, r := range s.resources("AWS::ElasticLoadBalancingV2::TargetGroup") {
		targetGroups[r.id] = r.props["Port"].(float64)
	}
	services := map[string]string{} // target group -> ECS service
	containerPorts := map[string]float64{}
	for _, r := range s.resources("AWS::ECS::Service") {
		lb := r.props["LoadBalancers"].([]any)[0].(map[string]any)
		services[ref(lb["TargetGroupArn"])] = r.id
		containerPorts[r.id] = lb["ContainerPort"].(float64)
	}
	uri := regexp.MustCompile(`^http://<(\w+)\.DNSName>:(\d+)(/.*)$`)
	routes := map[string]string{} // method path -> ECS service
	for _, m := range s.resources("AWS::ApiGateway::Method") {
		path := pathOf(s, m.props["ResourceId"])
		got := uri.FindStringSubmatch(uriOf(m.props))
		if got == nil {
			t.Errorf("%s: integration URI %q", path, uriOf(m.props))
			continue
		}
		var port float64
		fmt.Sscan(got[2], &port)
		tg, ok := listeners[port]
		if !ok {
			t.Errorf("%s: URI port %v has no listener", path, port)
			continue
		}
		service := services[tg]
		if containerPorts[service] != targetGroups[tg] {
			t.Errorf("%s: service %s listens on %v, its target group sends to %v", path, service, containerPorts[service], targetGroups[tg])
		}
		routes[path] = service
		// The backend gets the path as called: the prefix, then the proxied rest.
		wantPath := strings.Replace(path, "{proxy+}", "{proxy}", 1)
		if got[3] != wantPath {
			t.Errorf("%s: backend path %q, want %q", path, got[3], wantPath)
		}
	}
	for _, svc := range threeServices {
		want := idOf(t, s, "AWS::ECS::Service", svc.prefix, "Service")
		proxy := strings.TrimSuffix(svc.path, "/") + "/{proxy+}"
		if routes[svc.path] != want || routes[proxy] != want {
			t.Errorf("%s and %s reach %s and %s, want %s", svc.path, proxy, routes[svc.path], routes[proxy], want)
		}
	}
	if len(routes) != 2*len(threeServices) {
		t.Errorf("routes %v, want two per service", routes)
	}
	// Every method has the V2 connection, the request validator and the API's
	// authorization.
	for _, m := range s.resources("AWS::ApiGateway::Method") {
		integration := m.props["Integration"].(map[string]any)
		if integration["ConnectionType"] != "VPC_LINK" || integration["ConnectionId"] == nil || integration["IntegrationTarget"] == nil ||
			m.props["RequestValidatorId"] == nil || m.props["AuthorizationType"] != "NONE" {
			t.Errorf("method %s: %v", m.id, m.props)
		}
	}
}

// TestServicesShareEndpoints: one set of endpoints for the three services, with one
// secretsmanager endpoint for the two services with secrets, each service's tasks let in.
func TestServicesShareEndpoints(t *testing.T) {
	s := scenario(t, "ThreeServices")
	var names []string
	for _, r := range s.resources("AWS::EC2::VPCEndpoint") {
		name := uriOf(map[string]any{"Integration": map[string]any{"Uri": r.props["ServiceName"]}})
		names = append(names, name[strings.LastIndex(name, ">.")+2:])
	}
	sortStrings(names)
	if want := []string{"ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager"}; !slices.Equal(names, want) {
		t.Errorf("endpoints %v, want %v", names, want)
	}
	ingress, _ := s.rules()
	endpoints := idOf(t, s, "AWS::EC2::SecurityGroup", "PrivateRdsApiEndpointsNetworkVpc", "SecurityGroup") + ".GroupId"
	var want []string
	for _, svc := range threeServices {
		want = append(want, "tcp:443-443 from/to "+idOf(t, s, "AWS::EC2::SecurityGroup", svc.prefix, "ServiceSecurityGroup")+".GroupId")
	}
	sortStrings(want)
	if got := rulesOf(ingress, endpoints); !slices.Equal(got, want) {
		t.Errorf("endpoints' ingress %v, want %v", got, want)
	}
}

// TestAddedServiceProps: an added service gets its own props and defaults: its task size,
// no database variables without a database, the next listener port.
func TestAddedServiceProps(t *testing.T) {
	s := scenario(t, "ThreeServices")
	for _, c := range []struct {
		prefix, cpu, memory string
		db                  bool
	}{{"Api", "256", "512", true}, {"ApiOrders", "512", "1024", false}, {"ApiCatalog", "256", "512", false}} {
		task := s.json["Resources"].(map[string]any)[idOf(t, s, "AWS::ECS::TaskDefinition", c.prefix, "TaskDefinition")].(map[string]any)["Properties"].(map[string]any)
		if task["Cpu"] != c.cpu || task["Memory"] != c.memory {
			t.Errorf("%s: task size %v/%v, want %s/%s", c.prefix, task["Cpu"], task["Memory"], c.cpu, c.memory)
		}
		def := task["ContainerDefinitions"].([]any)[0].(map[string]any)
		hasDb := false
		for _, kind := range []string{"Environment", "Secrets"} {
			list, _ := def[kind].([]any)
			for _, e := range list {
				if strings.HasPrefix(e.(map[string]any)["Name"].(string), "DB_") {
					hasDb = true
				}
			}
		}
		if hasDb != c.db {
			t.Errorf("%s: DB_ variables %v, want %v", c.prefix, hasDb, c.db)
		}
	}
	built := s.built.Apis[0]
	if len(built.Services) != 3 || built.Services[0].Service != built.Service || built.Services[0].PathPrefix != "/" ||
		built.Services[1].PathPrefix != "/orders" || built.Services[1].Listener == nil || built.Services[2].Scaling == nil {
		t.Errorf("Services: %+v", built.Services)
	}
}

// twoServiceStack is an API with a second service given by props, in a new app.
func twoServiceStack(props ...*privaterdsapi.ServiceProps) (awscdk.Stack, *privaterdsapi.PrivateRdsApi, error) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Stack"), nil)
	api := privaterdsapi.NewPrivateRdsApi(stack, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(stack)})
	err := catch(func() {
		for i, p := range props {
			if p != nil && p.Image == nil {
				p.Image = scenarios.Image(stack)
			}
			api.AddService(jsii.String(fmt.Sprintf("S%d", i)), p)
		}
	})
	return stack, api, err
}

// TestAddServiceErrors: bad service props fail before anything is created, with a
// *ValidationError naming the service's path, each problem by code and prop.
func TestAddServiceErrors(t *testing.T) {
	orders := func() *privaterdsapi.ServiceProps {
		return &privaterdsapi.ServiceProps{PathPrefix: jsii.String("/orders")}
	}
	for _, c := range []struct {
		name  string
		props []*privaterdsapi.ServiceProps
		want  []problem
	}{
		{"nil props", []*privaterdsapi.ServiceProps{nil}, []problem{{privaterdsapi.ProblemRequired, "props"}}},
		{"no prefix", []*privaterdsapi.ServiceProps{{}}, []problem{{privaterdsapi.ProblemRequired, "PathPrefix"}}},
		{"no leading slash", []*privaterdsapi.ServiceProps{{PathPrefix: jsii.String("orders")}}, []problem{{privaterdsapi.ProblemFormat, "PathPrefix"}}},
		{"trailing slash", []*privaterdsapi.ServiceProps{{PathPrefix: jsii.String("/orders/")}}, []problem{{privaterdsapi.ProblemFormat, "PathPrefix"}}},
		{"the root", []*privaterdsapi.ServiceProps{{PathPrefix: jsii.String("/")}}, []problem{{privaterdsapi.ProblemFormat, "PathPrefix"}}},
		{"a path variable", []*privaterdsapi.ServiceProps{{PathPrefix: jsii.String("/orders/{id}")}}, []problem{{privaterdsapi.ProblemFormat, "PathPrefix"}}},
		{"the same prefix", []*privaterdsapi.ServiceProps{orders(), orders()}, []problem{{privaterdsapi.ProblemConflict, "PathPrefix"}}},
		{"a prefix under another", []*privaterdsapi.ServiceProps{orders(), {PathPrefix: jsii.String("/orders/items")}}, []problem{{privaterdsapi.ProblemConflict, "PathPrefix"}}},
		{"a prefix above another", []*privaterdsapi.ServiceProps{{PathPrefix: jsii.String("/orders/items")}, orders()}, []problem{{privaterdsapi.ProblemConflict, "PathPrefix"}}},
		{"the first service's listener port", []*privaterdsapi.ServiceProps{{PathPrefix: jsii.String("/orders"), ListenerPort: jsii.Number(80)}}, []problem{{privaterdsapi.ProblemConflict, "ListenerPort"}}},
		{"a per-service check", []*privaterdsapi.ServiceProps{{PathPrefix: jsii.String("/orders"), Cpu: jsii.Number(300), MinCapacity: jsii.Number(3)}},
			[]problem{{privaterdsapi.ProblemFargateSize, "Cpu"}, {privaterdsapi.ProblemCapacityOrder, "MinCapacity and MaxCapacity"}}},
		{"a reserved variable", []*privaterdsapi.ServiceProps{{PathPrefix: jsii.String("/orders"), Environment: &map[string]*string{"API_STAGE": jsii.String("dev")}}},
			[]problem{{privaterdsapi.ProblemReservedVariable, "Environment"}}},
	} {
		_, _, err := twoServiceStack(c.props...)
		var verr *privaterdsapi.ValidationError
		wantPath := fmt.Sprintf("Stack/Api/S%d", len(c.props)-1)
		if !errors.As(err, &verr) || verr.Path != wantPath || fmt.Sprint(problemsOf(err)) != fmt.Sprint(c.want) ||
			!strings.HasPrefix(err.Error(), "privaterdsapi: invalid ServiceProps for "+wantPath+":") {
			t.Errorf("%s: %v, want %v at %s", c.name, err, c.want, wantPath)
		}
	}
	// Siblings and nested prefixes that do not overlap are fine.
	if _, _, err := twoServiceStack(orders(), &privaterdsapi.ServiceProps{PathPrefix: jsii.String("/order")},
		&privaterdsapi.ServiceProps{PathPrefix: jsii.String("/v1/orders")}, &privaterdsapi.ServiceProps{PathPrefix: jsii.String("/v1/users")}); err != nil {
		t.Errorf("prefixes that do not overlap: %v", err)
	}
}

// deploymentId is the logical id of the stack's API Gateway deployment.
func deploymentId(t *testing.T, stack awscdk.Stack) string {
	t.Helper()
	s := synthesize(t, *stack.StackName(), &scenarios.Built{Stack: stack})
	return s.only(t, "AWS::ApiGateway::Deployment", "Api").id
}

// TestAddServiceRedeploysTheApi: the deployment's logical id covers the routes, so that
// adding a service, or changing its prefix or listener port, deploys the API again.
func TestAddServiceRedeploysTheApi(t *testing.T) {
	one, _, _ := twoServiceStack()
	orders, _, _ := twoServiceStack(&privaterdsapi.ServiceProps{PathPrefix: jsii.String("/orders")})
	users, _, _ := twoServiceStack(&privaterdsapi.ServiceProps{PathPrefix: jsii.String("/users")})
	port, _, _ := twoServiceStack(&privaterdsapi.ServiceProps{PathPrefix: jsii.String("/orders"), ListenerPort: jsii.Number(8081)})
	ids := map[string]bool{}
	for _, s := range []awscdk.Stack{one, orders, users, port} {
		ids[deploymentId(t, s)] = true
	}
	if len(ids) != 4 {
		t.Errorf("deployment ids %v: want four different ones", ids)
	}
}

const threePeersLabel = "Peer ×3: three `NetworkLoadBalancedFargateService` in one VPC"

// threePeers synthesizes three of aws-cdk's NLB Fargate services with the task sizes of
// the ThreeServices scenario, in one VPC of CDK's defaults (as a user shares a VPC), once
// per test binary. Each has its own load balancer.
func threePeers(t *testing.T) *synthesized {
	t.Helper()
	return cached(t, "peer:ThreeNetworkLoadBalancedFargateServices", func(app awscdk.App) *scenarios.Built {
		stack := awscdk.NewStack(app, jsii.String("ThreePeers"), nil)
		vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), nil)
		for _, p := range []struct {
			id          string
			cpu, memory float64
		}{{"Root", 256, 512}, {"Orders", 512, 1024}, {"Catalog", 256, 512}} {
			awsecspatterns.NewNetworkLoadBalancedFargateService(stack, jsii.String(p.id), &awsecspatterns.NetworkLoadBalancedFargateServiceProps{
				Vpc:                vpc,
				TaskImageOptions:   &awsecspatterns.NetworkLoadBalancedTaskImageOptions{Image: scenarios.Image(stack), ContainerPort: jsii.Number(privaterdsapi.DefaultContainerPort)},
				PublicLoadBalancer: jsii.Bool(false),
				Cpu:                jsii.Number(p.cpu),
				MemoryLimitMiB:     jsii.Number(p.memory),
			})
		}
		return &scenarios.Built{Stack: stack}
	})
}

// TestAddServiceWithVpcLinkV1: with the legacy VPC link, an added service's methods use
// the V1 link (no V2 override), and the load balancer takes no ingress rule (PrivateLink
// traffic is not filtered, see SECURITY.md).
func TestAddServiceWithVpcLinkV1(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("V1"), nil)
	api := privaterdsapi.NewPrivateRdsApi(stack, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{
		Image: scenarios.Image(stack), VpcLinkVersion: privaterdsapi.VpcLinkV1})
	api.AddService(jsii.String("Orders"), &privaterdsapi.ServiceProps{PathPrefix: jsii.String("/orders"), Image: scenarios.Image(stack)})
	s := synthesize(t, "V1", &scenarios.Built{Stack: stack})
	link := s.only(t, "AWS::ApiGateway::VpcLink", "Api").id
	for _, m := range s.resources("AWS::ApiGateway::Method") {
		integration := m.props["Integration"].(map[string]any)
		if integration["ConnectionType"] != "VPC_LINK" || ref(integration["ConnectionId"]) != link || integration["IntegrationTarget"] != nil {
			t.Errorf("method %s: integration %v, want the V1 link %s", m.id, integration, link)
		}
	}
	if n := len(s.resources("AWS::ApiGateway::Method")); n != 4 {
		t.Errorf("%d methods, want 4", n)
	}
	ingress, _ := s.rules()
	lb := idOf(t, s, "AWS::EC2::SecurityGroup", "Api", "LoadBalancerSecurityGroup") + ".GroupId"
	if got := rulesOf(ingress, lb); len(got) != 0 {
		t.Errorf("load balancer ingress with V1: %v, want none", got)
	}
}

// TestAddedServiceSynthesisChecks: what an added service can only check at synthesis
// (here, an image outside ECR) fails the synthesis with the service's path.
func TestAddedServiceSynthesisChecks(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Late"), nil)
	api := privaterdsapi.NewPrivateRdsApi(stack, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(stack)})
	orders := api.AddService(jsii.String("Orders"), &privaterdsapi.ServiceProps{
		PathPrefix: jsii.String("/orders"), Image: awsecs.ContainerImage_FromRegistry(jsii.String("nginx:latest"), nil)})
	err := orders.Validate()
	var verr *privaterdsapi.ValidationError
	if !errors.As(err, &verr) || verr.Path != "Late/Api/Orders" ||
		fmt.Sprint(problemsOf(err)) != fmt.Sprint([]problem{{privaterdsapi.ProblemImageNotEcr, "Image"}}) {
		t.Errorf("Validate of the added service: %v", err)
	}
	if err := api.Validate(); err != nil {
		t.Errorf("the API's own checks: %v", err)
	}
	if err := catch(func() { app.Synth(nil) }); err == nil || !strings.Contains(err.Error(), "Late/Api/Orders") {
		t.Errorf("synthesis: %v, want the service's problem", err)
	}
}

// TestAddServiceTwiceWithOneId: a second service with an id in use fails with a
// *ValidationError naming the id, not with CDK's raw duplicate-construct error.
func TestAddServiceTwiceWithOneId(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Stack"), nil)
	api := privaterdsapi.NewPrivateRdsApi(stack, jsii.String("Api"), &privaterdsapi.PrivateRdsApiProps{Image: scenarios.Image(stack)})
	api.AddService(jsii.String("Orders"), &privaterdsapi.ServiceProps{PathPrefix: jsii.String("/orders"), Image: scenarios.Image(stack)})
	for _, id := range []string{"Orders", "Cluster"} { // a service's id, and a part of the API's
		err := catch(func() {
			api.AddService(jsii.String(id), &privaterdsapi.ServiceProps{PathPrefix: jsii.String("/billing"), Image: scenarios.Image(stack)})
		})
		var verr *privaterdsapi.ValidationError
		if !errors.As(err, &verr) || verr.Path != "Stack/Api/"+id || fmt.Sprint(problemsOf(err)) != fmt.Sprint([]problem{{privaterdsapi.ProblemConflict, "id"}}) {
			t.Errorf("AddService(%q) again: %v, want a Conflict on id at Stack/Api/%s", id, err, id)
		}
	}
}
