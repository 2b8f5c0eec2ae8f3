package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/seed07617466/privaterdsapi/internal/cfntemplate"
)

// template is a synthesized CloudFormation template, as JSON.
type template map[string]any

// deployment is what the template tells about how the task runs the app and how
// requests reach it, with every CloudFormation reference to the database resolved to the
// local PostgreSQL server.
type deployment struct {
	// Env is the container's plain environment.
	Env map[string]string
	// Secrets maps each secret variable of the container to its value, read through its
	// JSON key from Secret.
	Secrets map[string]string
	// Secret is the database secret as CDK's DatabaseInstance generates it and its
	// attachment completes: username, password, host, port, dbname, engine.
	Secret map[string]any
	// User and Password are the secret's credentials; DBName is the database RDS creates.
	User, Password, DBName string
	// ContainerPort is the container's port mapping.
	ContainerPort int
	// HealthPath and HealthCodes are the target group's HTTP health check.
	HealthPath, HealthCodes string
	// ListenerPort is the load balancer listener's port.
	ListenerPort int
	// ProxyPath is the path of the {proxy+} method's integration URI, e.g. "/{proxy}".
	ProxyPath string
	// Stage is the API's stage name.
	Stage string
}

// local is the database server that stands in for the RDS instance.
type local struct {
	Host string
	Port int
}

// readDeployment reads the deployment from t. Its errors say where the template and the
// rehearsal's model of a deployment part.
func readDeployment(t template, db local) (*deployment, error) {
	d := &deployment{Env: map[string]string{}, Secrets: map[string]string{}}

	dbID, dbProps, err := only(t, "AWS::RDS::DBInstance")
	if err != nil {
		return nil, err
	}
	d.DBName, _ = dbProps["DBName"].(string)
	if d.DBName == "" {
		return nil, fmt.Errorf("the DB instance %s creates no database (DBName)", dbID)
	}
	engine, _ := dbProps["Engine"].(string)

	// The generated secret, and the attachment that adds the instance's address to it.
	var secretID, attachmentID string
	for id, p := range resources(t, "AWS::SecretsManager::SecretTargetAttachment") {
		if ref(p["TargetId"]) == dbID {
			attachmentID, secretID = id, ref(p["SecretId"])
		}
	}
	secret, ok := resources(t, "AWS::SecretsManager::Secret")[secretID]
	if attachmentID == "" || !ok {
		return nil, fmt.Errorf("no generated secret attached to the DB instance %s", dbID)
	}
	gen, _ := secret["GenerateSecretString"].(map[string]any)
	d.Secret = map[string]any{}
	if err := json.Unmarshal([]byte(str(gen["SecretStringTemplate"])), &d.Secret); err != nil {
		return nil, fmt.Errorf("the secret's SecretStringTemplate: %v", err)
	}
	d.User, _ = d.Secret["username"].(string)
	length, _ := gen["PasswordLength"].(float64)
	d.Password = generatePassword(int(length), str(gen["ExcludeCharacters"]))
	d.Secret[str(gen["GenerateStringKey"])] = d.Password
	d.Secret["host"], d.Secret["port"], d.Secret["dbname"], d.Secret["engine"] = db.Host, db.Port, d.DBName, engine

	// The container the service puts behind the load balancer.
	_, svc, err := only(t, "AWS::ECS::Service")
	if err != nil {
		return nil, err
	}
	lbs := list(svc["LoadBalancers"])
	if len(lbs) != 1 {
		return nil, fmt.Errorf("the service has %d load balancer targets, want 1", len(lbs))
	}
	target := lbs[0]
	_, td, err := only(t, "AWS::ECS::TaskDefinition")
	if err != nil {
		return nil, err
	}
	var c map[string]any
	for _, cd := range list(td["ContainerDefinitions"]) {
		if cd["Name"] == target["ContainerName"] {
			c = cd
		}
	}
	if c == nil {
		return nil, fmt.Errorf("the service targets the container %v, which the task definition lacks", target["ContainerName"])
	}
	resolve := func(v any) (string, error) {
		switch v := v.(type) {
		case string:
			return v, nil
		case map[string]any:
			switch att := getAtt(v); att {
			case dbID + ".Endpoint.Address":
				return db.Host, nil
			case dbID + ".Endpoint.Port":
				return strconv.Itoa(db.Port), nil
			}
		}
		return "", fmt.Errorf("%v is a reference the rehearsal cannot resolve", v)
	}
	for _, e := range list(c["Environment"]) {
		v, err := resolve(e["Value"])
		if err != nil {
			return nil, fmt.Errorf("environment variable %s: %v", e["Name"], err)
		}
		d.Env[str(e["Name"])] = v
	}
	for _, s := range list(c["Secrets"]) {
		name := str(s["Name"])
		from, key, err := secretRef(s["ValueFrom"])
		if err != nil {
			return nil, fmt.Errorf("secret %s: %v", name, err)
		}
		if from != secretID && from != attachmentID {
			return nil, fmt.Errorf("secret %s comes from %s, not the database's secret", name, from)
		}
		if key == "" { // the whole secret
			b, _ := json.Marshal(d.Secret)
			d.Secrets[name] = string(b)
			continue
		}
		v, ok := d.Secret[key]
		if !ok {
			return nil, fmt.Errorf("secret %s reads the JSON key %q, which the generated secret lacks (it has %s): ECS would fail the task at start",
				name, key, strings.Join(slices.Sorted(maps.Keys(d.Secret)), ", "))
		}
		d.Secrets[name] = fmt.Sprint(v) // ECS injects a JSON number as its text
	}
	mappings := list(c["PortMappings"])
	if len(mappings) != 1 {
		return nil, fmt.Errorf("%d port mappings, want 1", len(mappings))
	}
	d.ContainerPort = num(mappings[0]["ContainerPort"])
	if p := num(target["ContainerPort"]); p != d.ContainerPort {
		return nil, fmt.Errorf("the service registers the container's port %d, the container maps port %d", p, d.ContainerPort)
	}

	// The load balancer.
	tgID, tg, err := only(t, "AWS::ElasticLoadBalancingV2::TargetGroup")
	if err != nil {
		return nil, err
	}
	if ref(target["TargetGroupArn"]) != tgID {
		return nil, fmt.Errorf("the service registers its tasks in %v, not in the target group %s", target["TargetGroupArn"], tgID)
	}
	if p := num(tg["Port"]); p != d.ContainerPort {
		return nil, fmt.Errorf("the target group sends to port %d, the container maps port %d", p, d.ContainerPort)
	}
	if p, ok := tg["HealthCheckPort"]; ok && p != "traffic-port" && p != strconv.Itoa(d.ContainerPort) {
		return nil, fmt.Errorf("the health check goes to port %v, the container maps port %d", p, d.ContainerPort)
	}
	if proto := str(tg["HealthCheckProtocol"]); proto != "HTTP" {
		return nil, fmt.Errorf("the health check protocol is %q; the rehearsal checks an HTTP health check", proto)
	}
	d.HealthPath = str(tg["HealthCheckPath"])
	if m, ok := tg["Matcher"].(map[string]any); ok {
		d.HealthCodes = str(m["HttpCode"])
	}
	if d.HealthPath == "" || d.HealthCodes == "" {
		return nil, fmt.Errorf("the target group's HTTP health check has no path or matcher")
	}
	_, listener, err := only(t, "AWS::ElasticLoadBalancingV2::Listener")
	if err != nil {
		return nil, err
	}
	d.ListenerPort = num(listener["Port"])
	if actions := list(listener["DefaultActions"]); len(actions) != 1 || ref(actions[0]["TargetGroupArn"]) != tgID {
		return nil, fmt.Errorf("the listener does not forward to the target group %s", tgID)
	}

	// The API: the {proxy+} method's integration URI, and the stage.
	proxyResource := ""
	for id, p := range resources(t, "AWS::ApiGateway::Resource") {
		if p["PathPart"] == "{proxy+}" {
			proxyResource = id
		}
	}
	for _, m := range resources(t, "AWS::ApiGateway::Method") {
		if ref(m["ResourceId"]) != proxyResource || proxyResource == "" {
			continue
		}
		integ, _ := m["Integration"].(map[string]any)
		uri, err := join(integ["Uri"])
		if err != nil {
			return nil, fmt.Errorf("the integration URI: %v", err)
		}
		u, err := url.Parse(uri)
		if err != nil {
			return nil, fmt.Errorf("the integration URI %q: %v", uri, err)
		}
		port := 80
		if u.Port() != "" {
			port, _ = strconv.Atoi(u.Port())
		}
		if u.Scheme != "http" || port != d.ListenerPort {
			return nil, fmt.Errorf("the integration URI %q does not name the listener (http, port %d)", uri, d.ListenerPort)
		}
		d.ProxyPath = u.Path
		params, _ := integ["RequestParameters"].(map[string]any)
		if strings.Contains(u.Path, "{proxy}") && params["integration.request.path.proxy"] != "method.request.path.proxy" {
			return nil, fmt.Errorf("the integration URI %q has {proxy}, which no request parameter fills", uri)
		}
	}
	if d.ProxyPath == "" {
		return nil, fmt.Errorf("no method on a {proxy+} resource")
	}
	_, stage, err := only(t, "AWS::ApiGateway::Stage")
	if err != nil {
		return nil, err
	}
	d.Stage = str(stage["StageName"])
	return d, nil
}

// BackendPaths are the paths the container may see for a client's request to
// <stage URL>/<clientPath>: the integration URI's path with {proxy} filled in, and the
// same with the stage name in front (AWS documents that a private integration may include
// it, not how it combines with the URI's path).
func (d *deployment) BackendPaths(clientPath string) []string {
	p := strings.ReplaceAll(d.ProxyPath, "{proxy}", clientPath)
	return []string{p, "/" + d.Stage + p}
}

// HealthOK tells whether status matches the target group's matcher ("200", "200-399",
// "200,204").
func (d *deployment) HealthOK(status int) bool {
	for _, part := range strings.Split(d.HealthCodes, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, _ := strconv.Atoi(lo)
		b := a
		if isRange {
			b, _ = strconv.Atoi(hi)
		}
		if status >= a && status <= b {
			return true
		}
	}
	return false
}

// resources returns the properties of the resources of a type, by logical id.
func resources(t template, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range cfntemplate.Template(t).Resources(typ) {
		out[r.ID] = r.Props
	}
	return out
}

// only returns the one resource of a type.
func only(t template, typ string) (string, map[string]any, error) {
	r, err := cfntemplate.Template(t).Only(typ, "")
	return r.ID, r.Props, err
}

func str(v any) string { s, _ := v.(string); return s }

func num(v any) int {
	switch v := v.(type) {
	case float64:
		return int(v)
	case string:
		n, _ := strconv.Atoi(v)
		return n
	}
	return 0
}

func list(v any) []map[string]any { return cfntemplate.Maps(v) }

// ref returns the logical id of {"Ref": id}, "" for anything else.
func ref(v any) string { return cfntemplate.RefID(v) }

// getAtt returns "id.Attribute" of {"Fn::GetAtt": [id, attribute]}, "" for anything else.
func getAtt(m map[string]any) string { return cfntemplate.GetAtt(m) }

// join renders {"Fn::Join": ["", parts]} (or a plain string) into a string, with a
// load balancer's DNSName standing for itself.
func join(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	m, _ := v.(map[string]any)
	j, _ := m["Fn::Join"].([]any)
	if len(j) != 2 || j[0] != "" {
		return "", fmt.Errorf("%v is not a Fn::Join", v)
	}
	var b strings.Builder
	for _, part := range j[1].([]any) {
		switch part := part.(type) {
		case string:
			b.WriteString(part)
		case map[string]any:
			att := getAtt(part)
			if !strings.HasSuffix(att, ".DNSName") {
				return "", fmt.Errorf("%v in %v is not a load balancer's DNSName", part, v)
			}
			b.WriteString("load-balancer.invalid")
		default:
			return "", fmt.Errorf("%v in %v", part, v)
		}
	}
	return b.String(), nil
}

// secretRef parses an ECS secret's ValueFrom, {"Fn::Join": ["", [{"Ref": id},
// ":json-key:version-stage:version-id"]]}, into the secret's logical id and the JSON key
// ("" for the whole secret).
func secretRef(v any) (id, key string, err error) {
	m, _ := v.(map[string]any)
	j, _ := m["Fn::Join"].([]any)
	if len(j) != 2 {
		return "", "", fmt.Errorf("ValueFrom %v is not a secret reference", v)
	}
	parts, _ := j[1].([]any)
	if len(parts) == 1 {
		return ref(parts[0]), "", nil
	}
	if len(parts) != 2 || ref(parts[0]) == "" {
		return "", "", fmt.Errorf("ValueFrom %v is not a secret reference", v)
	}
	fields := strings.Split(strings.TrimPrefix(str(parts[1]), ":"), ":")
	return ref(parts[0]), fields[0], nil
}

// generatePassword makes a password like Secrets Manager's GenerateSecretString: printable
// ASCII without the excluded characters, at least one of each kind (lower, upper, digit,
// punctuation) where any is left.
func generatePassword(length int, exclude string) string {
	if length <= 0 {
		length = 32 // GenerateSecretString's default
	}
	var alphabet []rune
	for r := rune(33); r <= 126; r++ {
		if !strings.ContainsRune(exclude, r) {
			alphabet = append(alphabet, r)
		}
	}
	kinds := []func(rune) bool{unicode.IsLower, unicode.IsUpper, unicode.IsDigit, unicode.IsPunct}
	for {
		b := make([]rune, length)
		for i := range b {
			n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			b[i] = alphabet[n.Int64()]
		}
		pw := string(b)
		complete := true
		for _, kind := range kinds {
			if strings.ContainsFunc(string(alphabet), kind) && !strings.ContainsFunc(pw, kind) {
				complete = false
			}
		}
		if complete {
			return pw
		}
	}
}
